// The short version of the chaos case `pubsub` (see chaos-cases.ts).
import { describeShortChaos } from './short-chaos.ts';

describeShortChaos('pubsub');
