// The short version of the chaos case `kill9` (see chaos-cases.ts).
import { describeShortChaos } from './short-chaos.ts';

describeShortChaos('kill9');
