import { describe, expect, it } from 'vitest';
import { createActionGate } from '../../src/agent/approvals.js';
import { Permissions, patternCovers } from '../../src/permissions.js';
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
    const gate = createActionGate({ permissions: new Permissions([]), approved: new Set(), allowances: [], io: undefined, emit: (e) => events.push(e), remember: () => {}, confinement: async () => 'sandbox' });
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
    const gate = createActionGate({ permissions: new Permissions([]), approved: new Set(), allowances: [], io, emit: () => {}, remember: (a) => remembered.push(a), confinement: async () => 'sandbox' });
    expect(await gate(request)).toEqual({ allowed: true, network: false });
    expect(await gate({ ...request, subject: 'npm test -- --run' })).toEqual({ allowed: true, network: false });
    expect(asked).toBe(1);
    expect(remembered).toEqual([{ class: 'run', pattern: 'npm test *' }]);
  });

  it('runs with network what the person allowed with network, and remembers that', async () => {
    const answers = [{ kind: 'once', network: true }, { kind: 'task', pattern: 'curl x', network: true }] as const;
    const io: TaskIO = {
      approveAction: async (question) => {
        expect(question.network).toBe(true);
        return answers[calls++] ?? { kind: 'refuse' };
      },
      reviewHunks: async () => [],
      askInstruction: async () => '',
      trustRepoConfig: async () => false,
    };
    let calls = 0;
    const remembered: unknown[] = [];
    const gate = createActionGate({ permissions: new Permissions([]), approved: new Set(), allowances: [], io, emit: () => {}, remember: (a) => remembered.push(a), confinement: async () => 'sandbox' });
    expect(await gate({ ...request, subject: 'curl y' })).toEqual({ allowed: true, network: true });
    expect(await gate({ ...request, subject: 'curl x' })).toEqual({ allowed: true, network: true });
    expect(await gate({ ...request, subject: 'curl x' })).toEqual({ allowed: true, network: true });
    expect(calls).toBe(2);
    expect(remembered).toEqual([{ class: 'run', pattern: 'curl x', network: true }]);
  });

  it('passes a refusal reason on', async () => {
    const io: TaskIO = {
      approveAction: async () => ({ kind: 'refuse', reason: 'not now' }),
      reviewHunks: async () => [],
      askInstruction: async () => "",
      trustRepoConfig: async () => false,
    };
    const gate = createActionGate({ permissions: new Permissions([]), approved: new Set(), allowances: [], io, emit: () => {}, remember: () => {}, confinement: async () => 'sandbox' });
    expect(await gate(request)).toEqual({ allowed: false, reason: 'not now' });
    const approvedGate = createActionGate({ permissions: new Permissions([]), approved: new Set(['run']), allowances: [], io, emit: () => {}, remember: () => {}, confinement: async () => 'sandbox' });
    expect(await approvedGate(request)).toEqual({ allowed: true, network: false });
  });
});
