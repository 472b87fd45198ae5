// One guest TCP connection of a qemu guestfwd (`cmd:`): qemu starts this per connection with the
// connection on standard input and output; it is carried to 127.0.0.1:PORT on this machine.
// Usage: node guestfwd.mjs PORT
import { connect } from 'node:net';

const socket = connect(Number(process.argv[2]), '127.0.0.1');
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('error', () => process.exit(1));
socket.on('close', () => process.exit(0));
