import { describe, expect, it } from 'vitest';
import { resultSummary } from '../../src/ui/task-view.js';

describe('resultSummary', () => {
  it('shows a list a result announces: its first items and how many more', () => {
    const content = '7 references to formatMoney:\nsrc/a.ts:3: formatMoney(1)\nsrc/b.ts:9: formatMoney(2)\nsrc/c.ts:1: import { formatMoney }\nsrc/d.ts:4: x\nsrc/e.ts:5: y\nsrc/f.ts:6: z\nsrc/g.ts:7: w';
    expect(resultSummary(content)).toEqual([
      '  7 references to formatMoney:',
      '    src/a.ts:3: formatMoney(1)',
      '    src/b.ts:9: formatMoney(2)',
      '    src/c.ts:1: import { formatMoney }',
      '    … 4 more',
    ]);
    expect(resultSummary('2 files under src:\nsrc/a.ts\nsrc/b.ts')).toEqual(['  2 files under src:', '    src/a.ts', '    src/b.ts']);
  });

  it("shows the errors a step leaves, in the model's words", () => {
    const content = "Step 1 committed. Applied: src/a.ts.\nRefused by the user (not applied):\n- src/b.ts hunk 1/1\nDiagnostics: the applied change adds src/report.ts:2:10 error TS2305: Module './money' has no exported member 'formatMoney'.\nThe files now hold exactly what was applied.";
    expect(resultSummary(content)).toEqual([
      '  Step 1 committed. Applied: src/a.ts.',
      "  Diagnostics: the applied change adds src/report.ts:2:10 error TS2305: Module './money' has no exported member 'formatMoney'.",
    ]);
  });

  it('keeps a result that announces nothing to its first line', () => {
    expect(resultSummary('exit code 0\nhello\nworld')).toEqual(['  exit code 0']);
    expect(resultSummary('No references found:')).toEqual(['  No references found:']);
  });
});
