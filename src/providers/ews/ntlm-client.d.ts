// Types for the part of @ewsjs/ntlm-client (a CommonJS package without its own) the EWS
// transport uses: the three NTLM messages of a handshake. The package writes NTLMv2 responses
// when the server's challenge asks for them (its NTLM2 key flag), NTLMv1 otherwise. Only its
// default export works from ESM: Node finds just the first of its named exports.
declare module '@ewsjs/ntlm-client' {
  /** A decoded Type 2 (challenge) message; opaque to its users, handed back to createType3Message. */
  export interface NtlmChallenge {
    flags: number;
    targetName: string;
  }
  interface NtlmClient {
    /** `NTLM <base64>` negotiating a handshake (Type 1). */
    createType1Message(workstation?: string, target?: string): string;
    /** Reads the server's `WWW-Authenticate: NTLM <base64>` (Type 2); throws on anything else. */
    decodeType2Message(header: string): NtlmChallenge;
    /** `NTLM <base64>` answering the challenge (Type 3); `target` is the user's domain ('' for a UPN). */
    createType3Message(
      challenge: NtlmChallenge,
      username: string,
      password: string,
      workstation?: string,
      target?: string,
    ): string;
  }
  const ntlm: NtlmClient;
  export default ntlm;
}
