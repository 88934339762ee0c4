// Compares the two JSON documents in argv[2] and argv[3], member order aside; exits 1 on a difference.
import assert from 'node:assert/strict';
import fs from 'node:fs';

const ours = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const theirs = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
assert.deepStrictEqual(ours, theirs);
if (ours.missing !== 410) throw new Error('expected 410 for an unknown id, got ' + ours.missing);
if (ours.snapshot.iterable.length !== 3) throw new Error('expected the 3-cloud fixture');
console.log('our client and the official TypeScript SDK got the same results');
