/**
 * Instant Sync: tells the Instant Sync server which Events changed (docs/salesforce-package.md). All the work
 * is in InstantSyncEventTriggerHandler; nothing here calls out or fails the save.
 */
trigger InstantSyncEventTrigger on Event(after insert, after update, after delete, after undelete) {
  InstantSyncEventTriggerHandler.handle(Trigger.operationType, Trigger.new, Trigger.old);
}
