// The server side of bench/fleet-server.bench.js, in its own process so its RSS and CPU are its own:
// opens the store and starts the fleet API on loopback, prints {"url"} on standard output.
// Arguments: a JSON object {db, repo, validateOnly}.
import { startFleetServer } from '../../dist/server/index.js';
import { openStore } from '../../dist/store/index.js';

const { db, repo, validateOnly } = JSON.parse(process.argv[2]);
const store = await openStore(db);
const server = await startFleetServer({
  store,
  repoPath: repo,
  host: '127.0.0.1',
  port: 0,
  repoPollMs: 0,
  validateOnly: validateOnly === true,
  // the load posts far more than a real agent: limits would measure themselves, not ingest
  enrollRate: 'off',
  reportRate: 'off',
  log: () => {},
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on('SIGTERM', () => {
  server
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
