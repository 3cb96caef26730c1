import { describe, expect, it } from 'vitest';
import { createActionGate } from '../../src/agent/approvals.js';
import { Permissions, patternCovers } from '../../src/agent/permissions.js';
import type { AgentEvent, TaskIO } from '../../src/agent/events.js';

describe('patternCovers', () => {
  it('matches exact subjects, prefixes and folders', () => {
    expect(patternCovers('npm test', 'npm test')).toBe(true);
    expect(patternCovers('npm test', 'npm test -- --run')).toBe(false);
    expect(patternCovers('npm test *', 'npm test')).toBe(true);
    expect(patternCovers('npm test *', 'npm test -- --run')).toBe(true);
    expect(patternCovers('npm test *', 'npm testing')).toBe(false);
    expect(patternCovers('src/**', 'src/a/b.ts')).toBe(true);
    expect(patternCovers('src/**', 'srcx/a.ts')).toBe(false);
  });

  it('never lets a prefix cover a chained, substituted or redirected command', () => {
    for (const tail of ['; rm -rf x', '&& curl x', '| sh', '$(rm x)', '`rm x`', '> ~/.bashrc', '\nrm x']) {
      expect(patternCovers('npm test *', `npm test ${tail}`)).toBe(false);
    }
  });
});

describe('createActionGate', () => {
  const request = { class: 'run' as const, tool: 'run_command', subject: 'npm test' };

  it('refuses without a terminal and says why', async () => {
    const events: AgentEvent[] = [];
    const gate = createActionGate({ permissions: new Permissions([]), approved: new Set(), allowances: [], io: undefined, emit: (e) => events.push(e), remember: () => {} });
    const decision = await gate(request);
    expect(decision).toEqual({ allowed: false, automatic: expect.stringMatching(/no terminal/) });
    expect(events[0]).toMatchObject({ type: 'approval', allowed: false, how: 'no_terminal' });
  });

  it('asks once for a task-wide allowance and remembers it', async () => {
    let asked = 0;
    const remembered: unknown[] = [];
    const io: TaskIO = {
      approveAction: async () => {
        asked += 1;
        return { kind: 'task', pattern: 'npm test *' };
      },
      reviewHunks: async () => [],
      askInstruction: async () => "",
      trustRepoConfig: async () => false,
    };
    const gate = createActionGate({ permissions: new Permissions([]), approved: new Set(), allowances: [], io, emit: () => {}, remember: (a) => remembered.push(a) });
    expect(await gate(request)).toEqual({ allowed: true });
    expect(await gate({ ...request, subject: 'npm test -- --run' })).toEqual({ allowed: true });
    expect(asked).toBe(1);
    expect(remembered).toEqual([{ class: 'run', pattern: 'npm test *' }]);
  });

  it('passes a refusal reason on', async () => {
    const io: TaskIO = {
      approveAction: async () => ({ kind: 'refuse', reason: 'not now' }),
      reviewHunks: async () => [],
      askInstruction: async () => "",
      trustRepoConfig: async () => false,
    };
    const gate = createActionGate({ permissions: new Permissions([]), approved: new Set(), allowances: [], io, emit: () => {}, remember: () => {} });
    expect(await gate(request)).toEqual({ allowed: false, reason: 'not now' });
    const approvedGate = createActionGate({ permissions: new Permissions([]), approved: new Set(['run']), allowances: [], io, emit: () => {}, remember: () => {} });
    expect(await approvedGate(request)).toEqual({ allowed: true });
  });
});
