// Salesforce to Google Calendar end to end (the cases in end-to-end-cases.ts): a tenant whose
// provider is Google, set up with a service account's JSON key as an admin would.
import { describeOnBackends } from '../support/test-databases.ts';
import { endToEndCases } from './end-to-end-cases.ts';

describeOnBackends(['sqlite'], 'Salesforce to Google Calendar, end to end', (database) =>
  endToEndCases('google', database, {
    noMailbox: /Google has no user nobox@acme\.example in the Workspace domain/,
  }),
);
