// The independent check that the sandbox speaks EWS: the real ews-javascript-api (Exchange2016,
// NTLM through @ewsjs/xhr, ExchangeImpersonation) creates an appointment with an extended
// property, finds it by that property, reads it, updates it and deletes it, and makes a weekly
// series that FindAppointments expands, unchanged.
// Two adjustments are made for this file only: @ewsjs/xhr's NTLM agent takes no CA, so the
// sandboxes' CA joins the default trust store (as NODE_EXTRA_CA_CERTS would) until the file's tests
// end (npm test runs other files in the same process after it, and some check that the CA is
// not trusted by default), and ews-javascript-api 0.15 calls util.isNullOrUndefined, which Node 23
// removed, so it is put back.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import util from 'node:util';
import { XhrApi } from '@ewsjs/xhr';
import ews from 'ews-javascript-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEwsSandbox, type EwsSandbox } from './index.ts';

const stampSet = '5f3c4a8e-2b71-4c0e-9d6a-7e1b2c3d4f50';

describe('EWS sandbox with the real ews-javascript-api', () => {
  let sandbox: EwsSandbox;
  let service: ews.ExchangeService;
  let stamp: ews.ExtendedPropertyDefinition;
  const trusted = tls.getCACertificates('default');

  beforeAll(async () => {
    const legacy = util as unknown as { isNullOrUndefined?: (value: unknown) => boolean };
    legacy.isNullOrUndefined ??= (value) => value === null || value === undefined;
    sandbox = await startEwsSandbox();
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), readFileSync(sandbox.caFile, 'utf8')]);
    sandbox.addAccount({ username: 'CORP\\svc-sync', password: 'Correct-Horse-1' });
    sandbox.grantImpersonation('CORP\\svc-sync');
    sandbox.addMailbox('alice@corp.example', 'Alice Example');
    ews.ConfigurationApi.ConfigureXHR(
      new XhrApi({ rejectUnauthorized: true }).useNtlmAuthentication('CORP\\svc-sync', 'Correct-Horse-1'),
    );
    service = new ews.ExchangeService(ews.ExchangeVersion.Exchange2016);
    service.Credentials = new ews.WebCredentials('CORP\\svc-sync', 'Correct-Horse-1');
    service.Url = new ews.Uri(`${sandbox.url}/EWS/Exchange.asmx`);
    service.ImpersonatedUserId = new ews.ImpersonatedUserId(
      ews.ConnectingIdType.SmtpAddress,
      'alice@corp.example',
    );
    stamp = new ews.ExtendedPropertyDefinition(
      new ews.Guid(stampSet),
      'SalesforceEventId',
      ews.MapiPropertyType.String,
    );
  });
  afterAll(async () => {
    tls.setDefaultCACertificates(trusted);
    await sandbox.close();
  });

  it('creates an appointment with an extended property, finds it by the property, updates and deletes it', async () => {
    const appointment = new ews.Appointment(service);
    appointment.Subject = 'Pipeline review';
    appointment.Body = new ews.MessageBody(ews.BodyType.Text, 'Quarterly numbers');
    appointment.Start = new ews.DateTime('2026-11-25T09:00:00Z');
    appointment.End = new ews.DateTime('2026-11-25T10:00:00Z');
    appointment.Location = 'Room 4';
    appointment.SetExtendedProperty(stamp, '00U5e00000AbCdE');
    await appointment.Save(ews.WellKnownFolderName.Calendar, ews.SendInvitationsMode.SendToNone);
    const [stored] = sandbox.items('alice@corp.example');
    expect(stored).toMatchObject({
      ItemId: appointment.Id.UniqueId,
      Subject: 'Pipeline review',
      Body: { BodyType: 'Text', Value: 'Quarterly numbers' },
      Start: '2026-11-25T09:00:00Z',
      End: '2026-11-25T10:00:00Z',
      Location: 'Room 4',
      ExtendedProperties: [
        {
          PropertySetId: stampSet,
          PropertyName: 'SalesforceEventId',
          PropertyType: 'String',
          Value: '00U5e00000AbCdE',
        },
      ],
    });

    const view = new ews.ItemView(10);
    view.PropertySet = new ews.PropertySet(ews.BasePropertySet.IdOnly, [stamp]);
    const found = await service.FindItems(
      ews.WellKnownFolderName.Calendar,
      new ews.SearchFilter.IsEqualTo(stamp, '00U5e00000AbCdE'),
      view,
    );
    expect(found.Items.map((i) => i.Id.UniqueId)).toEqual([appointment.Id.UniqueId]);
    const none = await service.FindItems(
      ews.WellKnownFolderName.Calendar,
      new ews.SearchFilter.IsEqualTo(stamp, '00U-other'),
      view,
    );
    expect(none.Items).toHaveLength(0);

    const bound = await ews.Appointment.Bind(
      service,
      appointment.Id,
      new ews.PropertySet(ews.BasePropertySet.FirstClassProperties, [stamp]),
    );
    expect(bound.Subject).toBe('Pipeline review');
    expect(bound.Location).toBe('Room 4');
    bound.Subject = 'Pipeline review (moved)';
    await bound.Update(
      ews.ConflictResolutionMode.AlwaysOverwrite,
      ews.SendInvitationsOrCancellationsMode.SendToNone,
    );
    expect(sandbox.items('alice@corp.example')[0]).toMatchObject({ Subject: 'Pipeline review (moved)' });

    const deleted = await service.DeleteItems(
      [found.Items[0]!.Id],
      ews.DeleteMode.MoveToDeletedItems,
      ews.SendCancellationsMode.SendToNone,
      ews.AffectedTaskOccurrence.AllOccurrences,
    );
    expect(deleted.OverallResult).toBe(ews.ServiceResult.Success);
    expect(sandbox.items('alice@corp.example')).toEqual([]);
    // Every call made its own NTLM handshake on its own connection.
    expect(sandbox.stats().authHandshakes).toBe(sandbox.stats().requests);
  });

  it('creates a weekly series in W. Europe Standard Time that FindAppointments expands across the end of DST', async () => {
    const zone = ews.TimeZoneInfo.FindSystemTimeZoneById('W. Europe Standard Time');
    const series = new ews.Appointment(service);
    series.Subject = 'Weekly sync';
    series.Start = new ews.DateTime('2026-10-12T07:00:00Z');
    series.End = new ews.DateTime('2026-10-12T07:30:00Z');
    series.StartTimeZone = zone;
    series.EndTimeZone = zone;
    const weekly = new ews.Recurrence.WeeklyPattern();
    weekly.StartDate = new ews.DateTime('2026-10-12T00:00:00Z');
    weekly.Interval = 1;
    weekly.DaysOfTheWeek.Add(ews.DayOfTheWeek.Monday);
    weekly.NumberOfOccurrences = 4;
    series.Recurrence = weekly;
    await series.Save(ews.WellKnownFolderName.Calendar, ews.SendInvitationsMode.SendToNone);
    const view = await service.FindAppointments(
      ews.WellKnownFolderName.Calendar,
      new ews.CalendarView(
        new ews.DateTime('2026-10-01T00:00:00Z'),
        new ews.DateTime('2026-11-30T00:00:00Z'),
      ),
    );
    expect(view.Items.map((a) => [a.Start.ToISOString(), a.AppointmentType])).toEqual([
      ['2026-10-12T07:00:00.000Z', ews.AppointmentType.Occurrence],
      ['2026-10-19T07:00:00.000Z', ews.AppointmentType.Occurrence],
      ['2026-10-26T08:00:00.000Z', ews.AppointmentType.Occurrence],
      ['2026-11-02T08:00:00.000Z', ews.AppointmentType.Occurrence],
    ]);
    const master = await ews.Appointment.Bind(service, series.Id);
    expect(master.AppointmentType).toBe(ews.AppointmentType.RecurringMaster);
    expect(master.Recurrence).toBeInstanceOf(ews.Recurrence.WeeklyPattern);
    expect(master.Recurrence.NumberOfOccurrences).toBe(4);
  });

  it('answers an impersonated address without a mailbox with the SOAP fault ews-javascript-api reads as ErrorNonExistentMailbox', async () => {
    const nobody = new ews.ExchangeService(ews.ExchangeVersion.Exchange2016);
    nobody.Credentials = service.Credentials;
    nobody.Url = service.Url;
    nobody.ImpersonatedUserId = new ews.ImpersonatedUserId(
      ews.ConnectingIdType.SmtpAddress,
      'nobody@corp.example',
    );
    const error = await nobody.FindItems(ews.WellKnownFolderName.Calendar, new ews.ItemView(1)).then(
      () => undefined,
      (e: unknown) => e as { responseCode?: number; message?: string },
    );
    expect(error).toMatchObject({
      responseCode: ews.ServiceError.ErrorNonExistentMailbox,
      message: 'The SMTP address has no mailbox associated with it.',
    });
  });
});
