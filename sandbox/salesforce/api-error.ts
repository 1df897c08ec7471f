// An error the sandbox answers the way Salesforce's REST API does: an HTTP status with a JSON
// array of { message, errorCode, fields }.

export class SalesforceApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly fields: string[];

  constructor(status: number, errorCode: string, message: string, fields: string[] = []) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
    this.fields = fields;
  }

  toBody(): { message: string; errorCode: string; fields?: string[] }[] {
    return [
      {
        message: this.message,
        errorCode: this.errorCode,
        ...(this.fields.length > 0 ? { fields: this.fields } : {}),
      },
    ];
  }
}
