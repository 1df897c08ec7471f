// Salesforce to a hybrid tenant end to end (the cases in end-to-end-cases.ts): Microsoft 365 (Graph)
// is the default provider and Exchange Server (EWS) a provider named onprem, each with a sandbox of
// its own; half of the owners (the odd ones) are assigned to onprem with `mailboxes map …
// --provider onprem`, as an admin would, before any Event is made (and again after the database is
// lost). Each mailbox must hold exactly its owner's live Events in its provider's sandbox, and
// nothing of them in the other one.
import { describeOnBackends } from '../support/test-databases.ts';
import { endToEndCases } from './end-to-end-cases.ts';

describeOnBackends(
  ['sqlite'],
  'Salesforce to a hybrid tenant (Microsoft 365 and Exchange Server), end to end',
  (database) =>
    endToEndCases([{ kind: 'graph' }, { kind: 'ews', name: 'onprem', owners: 'odd' }], database, {
      // nobox@acme.example is assigned to no provider: it is the default's, Graph's.
      noMailbox: /ErrorInvalidUser.*does not exist in Microsoft 365/,
    }),
);
