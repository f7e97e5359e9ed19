// An OpenSSH public key line ("ssh-ed25519 AAAA... comment") to the SSH wire format the escrow stores as the
// rental's access key: the base64-decoded middle field, checked to be an SSH key blob (a 4-byte big-endian length
// and a key type string equal to the line's type, followed by the key's fields).

export const MAX_ACCESS_KEY_LENGTH = 1024;

const KEY_TYPES = new Set([
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
]);

export class SshKeyError extends Error {}

function readString(blob: Uint8Array, at: number): { value: Uint8Array; next: number } {
  if (at + 4 > blob.length) throw new SshKeyError("the key data ends inside a length field");
  const len = new DataView(blob.buffer, blob.byteOffset + at, 4).getUint32(0);
  const start = at + 4;
  if (start + len > blob.length) throw new SshKeyError("a field of the key data is longer than the key");
  return { value: blob.subarray(start, start + len), next: start + len };
}

/** Parses an OpenSSH public key line and returns its wire-format bytes. Throws SshKeyError saying what is wrong. */
export function sshKeyToWire(line: string): Uint8Array {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 2 || fields[0] === "") {
    throw new SshKeyError('expected an OpenSSH public key line such as "ssh-ed25519 AAAAC3... you@host"');
  }
  const [type, b64] = fields;
  if (!KEY_TYPES.has(type)) throw new SshKeyError(`unsupported key type "${type}" (use ssh-ed25519, ssh-rsa or ecdsa)`);
  let blob: Uint8Array;
  try {
    blob = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    throw new SshKeyError("the key data (second field) is not valid base64");
  }
  const first = readString(blob, 0);
  const inner = new TextDecoder().decode(first.value);
  if (inner !== type) {
    const shown = inner.replace(/[^\x20-\x7e]/g, "?");
    throw new SshKeyError(`the key data says "${shown}" but the line says "${type}"`);
  }
  // Every key type has at least one more field (the public key itself); they must fill the blob exactly.
  let at = first.next;
  if (at === blob.length) throw new SshKeyError("the key data holds no public key after its type");
  while (at < blob.length) at = readString(blob, at).next;
  if (blob.length > MAX_ACCESS_KEY_LENGTH) {
    throw new SshKeyError(`the key is ${blob.length} bytes; the escrow accepts at most ${MAX_ACCESS_KEY_LENGTH}`);
  }
  return blob;
}
