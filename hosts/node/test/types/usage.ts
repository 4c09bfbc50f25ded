// Compiled (never run) by `npm run typecheck`: the declared types, generated from the WIT
// (types/wit.d.ts), must fit the documented use.
import { OpenAiFtError, files, jobs, permissions, run, type Job, type JobStatus, type Report } from 'openai-ft';

async function example(): Promise<void> {
  const out: Record<string, string> = await run('job read', { id: 'ftjob-abc' }, { env: {} });
  const job: Job = await jobs.read(out.id);
  const status: JobStatus = job.status;
  const created: number = job.createdAt;
  const finished: number | undefined = job.finishedAt;
  const report: Report = await files.validate('train.jsonl');
  const bytes: number = (await files.validate('train.jsonl', 'dpo', { env: {} })).bytes + report.bytes;
  const grants = await permissions.grant('ft:gpt-4o-mini:org::abc', ['proj_a']);
  const first: string | undefined = grants[0]?.projectId;
  try {
    await run('job list');
  } catch (e) {
    if (e instanceof OpenAiFtError && e.kind === 'api') console.log(e.status, e.requestId, status, created, finished, bytes, first);
  }
}

void example;
