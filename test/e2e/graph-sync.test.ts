// Salesforce to Microsoft 365 end to end (the cases in end-to-end-cases.ts), on each database.
import { describeEachBackend } from '../support/test-databases.ts';
import { endToEndCases } from './end-to-end-cases.ts';

describeEachBackend('Salesforce to Microsoft 365, end to end', (database) =>
  endToEndCases('graph', database, { noMailbox: /ErrorInvalidUser.*does not exist in Microsoft 365/ }),
);
