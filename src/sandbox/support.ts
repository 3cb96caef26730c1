import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Whether commands can be sandboxed here: Linux with bubblewrap on PATH and namespaces it may
 * make. `findBwrap` only looks at PATH (no process: cheap enough for the start of a task);
 * `probeSandbox` runs bwrap once with the namespaces a command gets, and says what to do when it
 * cannot.
 */

export type SandboxSupport = { ok: true; bwrap: string } | { ok: false; why: string; fix: string };

const INSTALL = 'Install bubblewrap: sudo apt-get install bubblewrap (Debian, Ubuntu), sudo dnf install bubblewrap (Fedora), sudo pacman -S bubblewrap (Arch).';

/** bubblewrap's path, or why there is none. */
export function findBwrap(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): SandboxSupport {
  if (platform !== 'linux') {
    return {
      ok: false,
      why: `hunkwise sandboxes commands on Linux only (with bubblewrap); this is ${platform}`,
      fix: 'Commands run unconfined here and are asked each time; read each one before you allow it.',
    };
  }
  for (const folder of (env.PATH ?? '').split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, 'bwrap');
    try {
      accessSync(candidate, constants.X_OK);
      return { ok: true, bwrap: candidate };
    } catch {
      // not in this folder
    }
  }
  return { ok: false, why: 'bubblewrap (bwrap) is not installed, or not on PATH', fix: INSTALL };
}

/** What bwrap says when the kernel refuses it namespaces, turned into what the user can do. */
function namespaceFix(stderr: string): string {
  if (/setting up uid map|No permissions to create new namespace|Operation not permitted|creating new namespace/i.test(stderr)) {
    return 'Allow unprivileged user namespaces: sudo sysctl -w kernel.unprivileged_userns_clone=1 (Debian), or on Ubuntu 24.04 and later sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for bwrap); inside a container, run it with user namespaces allowed.';
  }
  return 'Run the line above by hand to see what bubblewrap needs; until it works, commands are asked each time.';
}

let probed: Promise<SandboxSupport> | undefined;

/** Runs bwrap once (cached for the process): the namespaces, a read-only root, dropped capabilities. */
export function probeSandbox(env: NodeJS.ProcessEnv = process.env): Promise<SandboxSupport> {
  probed ??= new Promise((resolve) => {
    const found = findBwrap(env);
    if (!found.ok) {
      resolve(found);
      return;
    }
    const args = ['--unshare-all', '--die-with-parent', '--cap-drop', 'ALL', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/run', '--', 'true'];
    const child = spawn(found.bwrap, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => resolve({ ok: false, why: `${found.bwrap} could not be started: ${error.message}`, fix: INSTALL }));
    child.on('close', (code) => {
      if (code === 0) resolve(found);
      else {
        const said = stderr.trim().split('\n').at(-1) ?? `exit ${code}`;
        resolve({ ok: false, why: `${found.bwrap} cannot make a sandbox here (${said}): ${found.bwrap} ${args.join(' ')}`, fix: namespaceFix(stderr) });
      }
    });
  });
  return probed;
}
