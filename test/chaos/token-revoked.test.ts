// The short version of the chaos case `token-revoked` (see chaos-cases.ts).
import { describeShortChaos } from './short-chaos.ts';

describeShortChaos('token-revoked');
