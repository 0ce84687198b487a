/**
 * DNS names as Route 53 compares them. Pure.
 */

/**
 * A name as Route 53 compares it: case-insensitive, the trailing dot optional, and every character other
 * than a-z, 0-9, - and _ as the three-digit octal escape ListResourceRecordSets returns it in (`*` is
 * `\052`), whether it was written as the character or as its escape. Two spellings of one record's name
 * give the same string, so they find the same records and take the same lock.
 */
export function canonicalName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const escaped = /^\\([0-7]{3})/.exec(name.slice(i));
    const code = escaped ? Number.parseInt(escaped[1] ?? '', 8) : name.charCodeAt(i);
    if (escaped) i += 3;
    const char = String.fromCharCode(code).toLowerCase();
    // An unescaped dot separates labels; an escaped one is part of a label and stays escaped.
    out +=
      /[a-z0-9_-]/.test(char) || (char === '.' && !escaped) ? char : `\\${code.toString(8).padStart(3, '0')}`;
  }
  return out.replace(/\.$/, '');
}

/** A hosted zone id without the `/hostedzone/` prefix Route 53 returns it with in some answers. */
export function bareZoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}
