// NTLM as a Windows server speaks it ([MS-NLMP]): reads a NEGOTIATE (Type 1) message, answers
// with a CHALLENGE (Type 2: a fresh 8-byte server challenge, the target name and the AV pairs
// NTLMv2 clients need), and verifies an AUTHENTICATE (Type 3) message's NTLMv2 response
// (NTProofStr = HMAC-MD5 over the server challenge and the client's blob, keyed with NTOWFv2 =
// HMAC-MD5(MD4(UTF-16LE(password)), UTF-16LE(UPPER(user) + domain))). MD4 comes from js-md4:
// OpenSSL 3 no longer has it. NTLMv1 and LM responses are refused: Microsoft deprecated NTLMv1
// and Windows Server 2025 removed it; a hardened domain (LmCompatibilityLevel 5) refuses it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';

// js-md4 ships no types; this is the one function of it the sandbox calls.
const md4 = createRequire(import.meta.url)('js-md4') as { arrayBuffer(message: Uint8Array): ArrayBuffer };

const signature = Buffer.from('NTLMSSP\0', 'latin1');

export const flags = {
  unicode: 0x00000001,
  oem: 0x00000002,
  requestTarget: 0x00000004,
  ntlm: 0x00000200,
  alwaysSign: 0x00008000,
  targetTypeDomain: 0x00010000,
  extendedSessionSecurity: 0x00080000,
  targetInfo: 0x00800000,
  version: 0x02000000,
  key128: 0x20000000,
  key56: 0x80000000,
} as const;

/** The server's names, as it puts them in the challenge. */
export interface NtlmServer {
  netbiosDomain: string;
  netbiosComputer: string;
  dnsDomain: string;
  dnsComputer: string;
}

export interface Challenge {
  serverChallenge: Buffer;
  /** The flags the challenge carried (the ones the client's strings are encoded by). */
  flags: number;
  message: Buffer;
}

export interface Authenticate {
  ntResponse: Buffer;
  lmResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
}

const isMessage = (buffer: Buffer, type: number) =>
  buffer.length >= 12 && buffer.subarray(0, 8).equals(signature) && buffer.readUInt32LE(8) === type;

/** The flags of a NEGOTIATE message, or undefined when `token` is not one. */
export function readNegotiate(token: Buffer): number | undefined {
  if (!isMessage(token, 1) || token.length < 16) return undefined;
  return token.readUInt32LE(12);
}

const avPair = (id: number, value: Buffer) => {
  const header = Buffer.alloc(4);
  header.writeUInt16LE(id, 0);
  header.writeUInt16LE(value.length, 2);
  return Buffer.concat([header, value]);
};

/** A FILETIME (100 ns since 1601) for `ms`. */
function fileTime(ms: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE((BigInt(Math.floor(ms)) + 11_644_473_600_000n) * 10_000n);
  return buffer;
}

/** A CHALLENGE message answering a NEGOTIATE with `clientFlags`. */
export function makeChallenge(clientFlags: number, server: NtlmServer, nowMs: number): Challenge {
  const serverChallenge = randomBytes(8);
  const unicode = (clientFlags & flags.unicode) !== 0;
  let negotiated =
    (unicode ? flags.unicode : flags.oem) |
    flags.requestTarget |
    flags.ntlm |
    flags.alwaysSign |
    flags.targetTypeDomain |
    flags.targetInfo |
    flags.version;
  // Extended session security, 128- and 56-bit keys only when the client asked for them.
  for (const flag of [flags.extendedSessionSecurity, flags.key128, flags.key56])
    if ((clientFlags & flag) !== 0) negotiated |= flag;
  negotiated >>>= 0;
  const targetName = Buffer.from(server.netbiosDomain, unicode ? 'utf16le' : 'latin1');
  const targetInfo = Buffer.concat([
    avPair(2, Buffer.from(server.netbiosDomain, 'utf16le')),
    avPair(1, Buffer.from(server.netbiosComputer, 'utf16le')),
    avPair(4, Buffer.from(server.dnsDomain, 'utf16le')),
    avPair(3, Buffer.from(server.dnsComputer, 'utf16le')),
    avPair(7, fileTime(nowMs)),
    avPair(0, Buffer.alloc(0)),
  ]);
  const header = Buffer.alloc(56);
  signature.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(targetName.length, 12);
  header.writeUInt16LE(targetName.length, 14);
  header.writeUInt32LE(56, 16);
  header.writeUInt32LE(negotiated, 20);
  serverChallenge.copy(header, 24);
  header.writeUInt16LE(targetInfo.length, 40);
  header.writeUInt16LE(targetInfo.length, 42);
  header.writeUInt32LE(56 + targetName.length, 44);
  // Version: Windows Server 2019 (10.0, build 17763), NTLM revision 15.
  Buffer.from([10, 0, 0x03, 0x45, 0, 0, 0, 15]).copy(header, 48);
  return { serverChallenge, flags: negotiated, message: Buffer.concat([header, targetName, targetInfo]) };
}

/** An AUTHENTICATE message's fields, or undefined when `token` is not one. */
export function readAuthenticate(token: Buffer, challengeFlags: number): Authenticate | undefined {
  if (!isMessage(token, 3) || token.length < 52) return undefined;
  const field = (offset: number): Buffer | undefined => {
    const length = token.readUInt16LE(offset);
    const at = token.readUInt32LE(offset + 4);
    if (at + length > token.length) return undefined;
    return token.subarray(at, at + length);
  };
  const lmResponse = field(12);
  const ntResponse = field(20);
  const domain = field(28);
  const user = field(36);
  const workstation = field(44);
  if (
    lmResponse === undefined ||
    ntResponse === undefined ||
    domain === undefined ||
    user === undefined ||
    workstation === undefined
  )
    return undefined;
  const messageFlags = token.length >= 64 ? token.readUInt32LE(60) : 0;
  const unicode = ((messageFlags === 0 ? challengeFlags : messageFlags) & flags.unicode) !== 0;
  const text = (buffer: Buffer) => buffer.toString(unicode ? 'utf16le' : 'latin1');
  return { ntResponse, lmResponse, domain: text(domain), user: text(user), workstation: text(workstation) };
}

/** The NT hash: MD4 of the UTF-16LE password. */
export const ntHash = (password: string) => Buffer.from(md4.arrayBuffer(Buffer.from(password, 'utf16le')));

/**
 * Whether the AUTHENTICATE message proves knowledge of `password` for the challenge. Only NTLMv2
 * responses count (an NTLMv1 response is 24 bytes; an NTLMv2 one is NTProofStr + a blob).
 */
export function verifyNtlmV2(message: Authenticate, password: string, serverChallenge: Buffer): boolean {
  const response = message.ntResponse;
  if (response.length < 16 + 28) return false;
  const blob = response.subarray(16);
  // The blob starts with RespType 1, HiRespType 1.
  if (blob[0] !== 1 || blob[1] !== 1) return false;
  const responseKey = createHmac('md5', ntHash(password))
    .update(Buffer.from(message.user.toUpperCase() + message.domain, 'utf16le'))
    .digest();
  const proof = createHmac('md5', responseKey)
    .update(Buffer.concat([serverChallenge, blob]))
    .digest();
  return timingSafeEqual(proof, response.subarray(0, 16));
}
