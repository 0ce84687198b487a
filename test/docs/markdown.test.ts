/**
 * The Markdown of README.md and docs/*.md renders as written: a code block ends on a line of its own (text
 * after the closing fence turns it into more code, and swallows the headings below), and a table is one
 * block of rows (a blank line inside it turns the rows after it into a paragraph of pipes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const pages = [
  'README.md',
  ...readdirSync(new URL('docs/', root))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Problems with where code blocks end and tables break, as `page:line: what`. */
function markdownProblems(page: string, text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  let fence: string | undefined;
  lines.forEach((line, i) => {
    const at = `${page}:${i + 1}`;
    const marker = /^\s*(`{3,})(.*)$/.exec(line);
    if (fence) {
      if (marker?.[1] === fence) {
        if (marker[2]?.trim()) problems.push(`${at}: text after the closing fence: ${line.trim()}`);
        else fence = undefined;
      }
      return;
    }
    if (marker) {
      fence = marker[1];
      return;
    }
    // A row right after a blank line must start a table: a header with its separator row under it.
    if (line.startsWith('|') && lines[i - 1]?.trim() === '' && !/^\|[\s:|-]+\|$/.test(lines[i + 1] ?? '')) {
      problems.push(
        `${at}: a table row after a blank line, with no header separator under it: ${line.slice(0, 60)}`,
      );
    }
  });
  if (fence) problems.push(`${page}: a code block that never ends`);
  return problems;
}

describe('the docs render as written', () => {
  it.each(pages)('%s: every code block ends on its own line and every table is one block', (page) => {
    // Act
    const problems = markdownProblems(page, readFileSync(new URL(page, root), 'utf8'));

    // Assess
    expect(problems).toEqual([]);
  });

  it('finds a fence with text after it and a table split by a blank line', () => {
    // Prepare: the two mistakes, as they once were in docs/EVENTS.md and docs/OBSERVABILITY.md.
    const text = [
      '```json',
      '{}',
      '``` The JSON Schema is in',
      'more',
      '```',
      '',
      '| a | b |',
      '| --- | --- |',
      '| 1 | 2 |',
      '',
      '| 3 | 4 |',
    ].join('\n');

    // Act
    const problems = markdownProblems('x.md', text);

    // Assess
    expect(problems).toEqual([
      'x.md:3: text after the closing fence: ``` The JSON Schema is in',
      'x.md:11: a table row after a blank line, with no header separator under it: | 3 | 4 |',
    ]);
  });
});
