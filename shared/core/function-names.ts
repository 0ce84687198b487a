/** `checkout-hook` from `checkout-hook`, `checkout-hook:live` or `arn:aws:lambda:…:function:checkout-hook:live`. */
export function functionNameOf(reference: string): string {
  const parts = reference.split(':');
  return parts[0] === 'arn' ? (parts[6] ?? reference) : (parts[0] ?? reference);
}

/** IAM's wildcards in a resource name: `*` any run of characters, `?` any one character. */
export function matchesPattern(pattern: string, name: string): boolean {
  const source = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(name);
}
