// Compiled (never run) by `npm run typecheck`: the declared types must fit the documented use.
import { OpenAiFtError, files, jobs, permissions, run, type Job, type JobStatus } from 'openai-ft';

async function example(): Promise<void> {
  const out: Record<string, string> = await run('job read', { id: 'ftjob-abc' }, { env: {} });
  const job: Job = await jobs.read(out.id);
  const status: JobStatus = job.status;
  const created: number = job.createdAt;
  const report = await files.validate('train.jsonl', 'dpo');
  const bytes: number = report.bytes;
  const grants = await permissions.grant('ft:gpt-4o-mini:org::abc', ['proj_a']);
  const first: string | undefined = grants[0]?.projectId;
  try {
    await run('job list');
  } catch (e) {
    if (e instanceof OpenAiFtError && e.kind === 'api') console.log(e.status, e.requestId, status, created, bytes, first);
  }
}

void example;
