// The short version of the chaos case `pgcut` (see chaos-cases.ts).
import { describeShortChaos } from './short-chaos.ts';

describeShortChaos('pgcut');
