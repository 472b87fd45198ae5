// Run in the guest (node, in the chroot of the host's root): tries a TCP connection to ADDR:PORT and
// prints `connected`, or why not (an errno code, or `timeout` after 5 s). Exit 0 only when connected.
// Usage: node connect-probe.mjs ADDR PORT
import { connect } from 'node:net';

const socket = connect(Number(process.argv[3]), process.argv[2]);
socket.setTimeout(5000, () => {
  console.log('timeout');
  process.exit(1);
});
socket.on('connect', () => {
  console.log('connected');
  process.exit(0);
});
socket.on('error', (error) => {
  console.log(error.code ?? error.message);
  process.exit(1);
});
