// The short version of the chaos case `graph-faults` (see chaos-cases.ts).
import { describeShortChaos } from './short-chaos.ts';

describeShortChaos('graph-faults');
