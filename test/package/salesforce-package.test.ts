// The Salesforce package (salesforce-package/) checked without an org: its Apex parses and is formatted,
// its metadata is well-formed and converts to a Metadata API package listing every component, the API
// names other parts of Instant Sync are built against are what the package defines, and the shared
// webhook signature vector holds (scripts/check-salesforce-package.ts does the work). The checkers are
// also run on broken input, so a check that stopped finding anything would fail here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  apexFiles,
  apexFormattingProblems,
  apexImportProblems,
  apexSyntaxErrors,
  apiVersionProblems,
  convertToMetadataApi,
  expectedComponents,
  formatFinding,
  readMetadata,
  readVector,
  sourceApiVersion,
  sourceRoot,
  vectorProblems,
  xmlProblems,
  type Finding,
} from '../../scripts/check-salesforce-package.ts';

const listed = (findings: Finding[]) => findings.map(formatFinding);

describe('Salesforce package source', () => {
  it('holds the trigger and its classes', () => {
    const names = apexFiles().map((file) => file.slice(sourceRoot.length + 1));
    expect(names).toEqual(
      expect.arrayContaining([
        'classes/InstantSyncDeliveryJob.cls',
        'classes/InstantSyncEventTriggerHandler.cls',
        'classes/InstantSyncSettings.cls',
        'classes/InstantSyncWebhook.cls',
        'classes/InstantSyncWebhookTest.cls',
        'classes/InstantSyncConnectController.cls',
        'classes/InstantSyncConnectControllerTest.cls',
        'triggers/InstantSyncEventTrigger.trigger',
      ]),
    );
  });

  it('parses: every class and trigger, with @apexdevtools/apex-parser', () => {
    expect(listed(apexSyntaxErrors())).toEqual([]);
  });

  it('is formatted as prettier-plugin-apex prints it (parsed by jorje)', async () => {
    expect(listed(await apexFormattingProblems())).toEqual([]);
  });

  it('has well-formed metadata XML, and every class, trigger and component on the project API version', () => {
    expect(listed(xmlProblems())).toEqual([]);
    expect(listed(apiVersionProblems())).toEqual([]);
    expect(Number(sourceApiVersion())).toBeGreaterThanOrEqual(65);
  });

  it('converts to a Metadata API package whose package.xml lists every component', async () => {
    const expected = expectedComponents();
    expect(listed(expected.findings)).toEqual([]);
    const converted = await convertToMetadataApi();
    expect(converted.version).toBe(sourceApiVersion());
    expect(converted.components).toEqual(expected.components);
    expect(converted.files).toEqual(
      expect.arrayContaining([
        'package.xml',
        'classes/InstantSyncDeliveryJob.cls',
        'classes/InstantSyncDeliveryJob.cls-meta.xml',
        'triggers/InstantSyncEventTrigger.trigger',
        'objects/InstantSync_Config__c.object',
        'objects/InstantSync_Delivery__c.object',
        'permissionsets/InstantSync_Admin.permissionset',
        'classes/InstantSyncConnectController.cls',
        'lwc/instantSyncConnect/instantSyncConnect.js',
        'lwc/instantSyncConnect/instantSyncConnect.html',
        'lwc/instantSyncConnect/instantSyncConnect.js-meta.xml',
        'tabs/InstantSync_Connect.tab',
      ]),
    );
    expect(converted.components).toEqual(
      expect.arrayContaining([
        'ApexClass:InstantSyncConnectController',
        'LightningComponentBundle:instantSyncConnect',
        'CustomTab:InstantSync_Connect',
      ]),
    );
    // The component's jest tests are not metadata: .forceignore keeps them out of a deploy.
    expect(converted.files.filter((file) => file.includes('__tests__'))).toEqual([]);
  });

  it('imports only @AuraEnabled methods that the Apex controller declares', () => {
    expect(listed(apexImportProblems())).toEqual([]);
  });
});

// The API names and labels other parts of Instant Sync (the server writing the settings, the Connect page)
// are built against. Changing one here breaks them.
describe('Salesforce package contract', () => {
  const objectFile = (object: string) => join(sourceRoot, 'objects', object, `${object}.object-meta.xml`);
  const field = (object: string, name: string) =>
    readMetadata(join(sourceRoot, 'objects', object, 'fields', `${name}.field-meta.xml`));

  it.each([
    ['InstantSync_Config__c', 'ClientId Config', 'Public'],
    ['InstantSync_Secret__c', 'Instant Sync Webhook Secret', 'Protected'],
    ['InstantSync_Trigger_Settings__c', 'Trigger Settings', 'Public'],
  ])('%s is a hierarchy custom setting labelled "%s", %s', (object, label, visibility) => {
    expect(readMetadata(objectFile(object))).toMatchObject({
      customSettingsType: 'Hierarchy',
      label,
      visibility,
    });
  });

  it.each([
    ['InstantSync_Config__c', 'ClientId__c', { type: 'Text', length: '20', label: 'ClientId' }],
    ['InstantSync_Config__c', 'TenantUrl__c', { type: 'Text', length: '255', label: 'Tenant URL' }],
    ['InstantSync_Config__c', 'Status__c', { type: 'Text', length: '40', label: 'Connection status' }],
    ['InstantSync_Config__c', 'ExpiresAt__c', { type: 'DateTime', label: 'Refresh token expires' }],
    ['InstantSync_Config__c', 'StatusUpdatedAt__c', { type: 'DateTime' }],
    ['InstantSync_Config__c', 'LastError__c', { type: 'Text', length: '255' }],
    ['InstantSync_Secret__c', 'WebhookSecret__c', { type: 'Text', length: '255' }],
    [
      'InstantSync_Trigger_Settings__c',
      'Disabled__c',
      { type: 'Checkbox', defaultValue: 'false', label: 'Disable the Event trigger' },
    ],
    [
      'InstantSync_Delivery__c',
      'DeliveryId__c',
      { type: 'Text', length: '64', unique: 'true', externalId: 'true' },
    ],
    ['InstantSync_Delivery__c', 'HttpStatus__c', { type: 'Number' }],
    ['InstantSync_Delivery__c', 'Attempts__c', { type: 'Number' }],
    ['InstantSync_Delivery__c', 'EventCount__c', { type: 'Number' }],
    ['InstantSync_Delivery__c', 'Error__c', { type: 'Text', length: '255' }],
    ['InstantSync_Delivery__c', 'SentAt__c', { type: 'DateTime' }],
  ])('%s.%s is %o', (object, name, expected) => {
    expect(field(object, name)).toMatchObject({ fullName: name, ...expected });
  });

  it('InstantSync_Delivery__c is "Instant Sync Delivery", auto-numbered, its Status Delivered / Retrying / Failed', () => {
    expect(readMetadata(objectFile('InstantSync_Delivery__c'))).toMatchObject({
      label: 'Instant Sync Delivery',
      nameField: { type: 'AutoNumber' },
    });
    const status = field('InstantSync_Delivery__c', 'Status__c') as {
      type: string;
      valueSet: { valueSetDefinition: { value: { fullName: string }[] } };
    };
    expect(status.type).toBe('Picklist');
    expect(status.valueSet.valueSetDefinition.value.map((value) => value.fullName)).toEqual(
      expect.arrayContaining(['Delivered', 'Retrying', 'Failed']),
    );
  });

  it('the Connect page is a Lightning web component for a tab, on the tab labelled as the admin guide says', () => {
    const bundle = readMetadata(
      join(sourceRoot, 'lwc', 'instantSyncConnect', 'instantSyncConnect.js-meta.xml'),
    ) as { isExposed: string; targets: { target: string | string[] } };
    expect(bundle.isExposed).toBe('true');
    expect([bundle.targets.target].flat()).toEqual(['lightning__Tab']);
    expect(readMetadata(join(sourceRoot, 'tabs', 'InstantSync_Connect.tab-meta.xml'))).toMatchObject({
      label: 'Connect Instant Sync to Salesforce Config',
      lwcComponent: 'instantSyncConnect',
    });
  });

  it("the Connect page's tenant URL field has the admin guide's placeholder", () => {
    const template = readFileSync(
      join(sourceRoot, 'lwc', 'instantSyncConnect', 'instantSyncConnect.html'),
      'utf8',
    );
    expect(template).toContain('placeholder="Enter your tenant URL here..."');
  });

  it('the permission set InstantSync_Admin is "Instant Sync Admin" and never opens the secret', () => {
    const permissionSet = readMetadata(
      join(sourceRoot, 'permissionsets', 'InstantSync_Admin.permissionset-meta.xml'),
    );
    expect(permissionSet['label']).toBe('Instant Sync Admin');
    const settings = [permissionSet['customSettingAccesses']].flat() as { name: string }[];
    expect(settings.map((setting) => setting.name).sort()).toEqual([
      'InstantSync_Config__c',
      'InstantSync_Trigger_Settings__c',
    ]);
    const classes = [permissionSet['classAccesses']].flat() as { apexClass: string; enabled: string }[];
    expect(classes).toContainEqual({ apexClass: 'InstantSyncConnectController', enabled: 'true' });
    const tabs = [permissionSet['tabSettings']].flat() as { tab: string; visibility: string }[];
    expect(tabs).toContainEqual({ tab: 'InstantSync_Connect', visibility: 'Visible' });
    expect(String(permissionSet['description']).length).toBeLessThanOrEqual(255);
  });
});

describe('Salesforce package checks find problems', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'instant-sync-apex-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const path = join(scratch, name);
    writeFileSync(path, text);
    return path;
  };

  it('a syntax error, with its line', () => {
    const broken = write(
      'Broken.cls',
      'public class Broken {\n  public void run() {\n    Integer x = ;\n  }\n}\n',
    );
    const trigger = write('Broken.trigger', 'trigger Broken on Event(after insert) {\n  if (\n}\n');
    const findings = apexSyntaxErrors([broken, trigger]);
    expect(findings.map((finding) => [finding.file.endsWith('Broken.cls'), finding.line])).toContainEqual([
      true,
      3,
    ]);
    expect(findings.some((finding) => finding.file.endsWith('Broken.trigger'))).toBe(true);
  });

  it('Apex not formatted, and Apex jorje cannot parse', async () => {
    const untidy = write('Untidy.cls', 'public class Untidy {   public Integer x(){return 1;} }\n');
    const broken = write('Broken2.cls', 'public class Broken2 {\n  Integer x = ;\n}\n');
    const findings = await apexFormattingProblems([untidy, broken]);
    expect(findings).toHaveLength(2);
    expect(findings[0]!.message).toContain('not formatted');
    expect(findings[1]!.message).toContain('cannot parse');
  });

  it('a component importing an Apex method the controller does not declare', () => {
    const component = write(
      'brokenComponent.js',
      "import getStatus from '@salesforce/apex/InstantSyncConnectController.getStatus';\n" +
        "import missing from '@salesforce/apex/InstantSyncConnectController.noSuchMethod';\n" +
        "import other from '@salesforce/apex/NoSuchClass.run';\n",
    );
    expect(apexImportProblems([component]).map((finding) => finding.message)).toEqual([
      expect.stringContaining('noSuchMethod, which is not an @AuraEnabled'),
      expect.stringContaining('no class NoSuchClass'),
    ]);
  });

  it('XML that is not well-formed, with its line', () => {
    const broken = write(
      'Broken.object-meta.xml',
      '<?xml version="1.0"?>\n<CustomObject>\n  <label>x</lable>\n</CustomObject>\n',
    );
    expect(xmlProblems([broken])).toMatchObject([{ line: 3 }]);
  });
});

describe('webhook signature test vector', () => {
  it('is HMAC-SHA256 of timestamp.body (node:crypto), realistic, and what the Apex test asserts', () => {
    expect(listed(vectorProblems())).toEqual([]);
    const body = JSON.parse(readVector().body) as { events: { changeType: string }[] };
    expect(body.events.length).toBeGreaterThan(1);
  });
});
