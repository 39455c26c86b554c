// Setup file of the `redis-node` project: the node-redis clients a test file opened through
// `partsClient` are closed after it, even those its test left open.
import { afterAll } from 'vitest';
import { closePartsClients } from './partsClient.js';

afterAll(closePartsClients);
