// Salesforce to Exchange Server (EWS) end to end (the cases in end-to-end-cases.ts): a tenant whose
// provider is on-premises Exchange, set up as an admin would, with a service account holding the
// ApplicationImpersonation role, its password in a file, and NTLM sign-in.
import { describeOnBackends } from '../support/test-databases.ts';
import { endToEndCases } from './end-to-end-cases.ts';

describeOnBackends(['sqlite'], 'Salesforce to Exchange Server (EWS), end to end', (database) =>
  endToEndCases('ews', database, {
    noMailbox: /ErrorNonExistentMailbox.*the mailbox nobox@acme\.example does not exist in Exchange/,
  }),
);
