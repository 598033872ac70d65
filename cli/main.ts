// The `edgekv` command: `edgekv <command> [options]`, one function per command.
// `up` runs the runtime demo until the cluster replaces it.
import { runPingDemo } from './demo.js';

type Command = (args: string[]) => Promise<void>;

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at >= 0) return args[at + 1];
  const inline = args.find((a) => a.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

const commands: Record<string, { help: string; run: Command }> = {
  up: {
    help: 'up [--seconds N]   start the node (for now: the worker-thread ping demo); Ctrl-C stops it',
    run: async (args) => {
      const raw = flag(args, '--seconds');
      const seconds = raw === undefined ? undefined : Number(raw);
      if (seconds !== undefined && !(Number.isInteger(seconds) && seconds > 0)) {
        throw new Error(`--seconds needs a positive whole number, got ${raw}`);
      }
      await runPingDemo({ seconds });
    },
  },
};

function usage(): string {
  return `usage: edgekv <command>\n${Object.values(commands)
    .map((c) => `  ${c.help}`)
    .join('\n')}\n`;
}

const [name, ...args] = process.argv.slice(2);
const command = name === undefined ? undefined : commands[name];
if (command === undefined) {
  process.stderr.write((name === undefined ? '' : `unknown command "${name}"\n`) + usage());
  process.exitCode = 2;
} else {
  try {
    await command.run(args);
  } catch (error) {
    process.stderr.write(`edgekv ${name}: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
