// The official TypeScript SDK against a Pieces OS at argv[2]: prints what it got as JSON (wire shapes).
import sdk from '@pieces.app/pieces-os-client';

const url = process.argv[2];
const config = new sdk.Configuration({ basePath: url });
const allocations = new sdk.AllocationsApi(config);
const allocation = new sdk.AllocationApi(config);

const snapshot = await allocations.allocationsSnapshot();
const first = snapshot.iterable[0];
const one = await allocation.allocationSnapshot({ allocation: first.id });
let missing = 0;
try {
  await allocation.allocationSnapshot({ allocation: 'no-such-cloud' });
} catch (e) {
  missing = e.response ? e.response.status : -1;
}
const disconnected = await allocations.allocationsDisconnectCloud({ allocationCloud: one });
console.log(JSON.stringify({
  snapshot: sdk.AllocationsToJSON(snapshot),
  one: sdk.AllocationCloudToJSON(one),
  missing,
  disconnected,
}));
