"""Issue 26: a no-change plan of a fleet (a plain for_each of modules/fine_tuning over one
training file and one base model) costs one request per job and a few for the whole fleet: the
job read by its key, while the model list (every shutdown date) and the training file are read
once, and checkpoints only where read_checkpoints asks. The emulator counts them. Plan time is
measured by the benchmark (bench/plan, scripts/bench --plan-jobs), never asserted here."""

import time

import openai_ft_env as env

JOBS = 20

CONFIG = """
module "training_data" {
  source = "./modules/training_file"

  path  = "${path.module}/train.jsonl"
  model = "gpt-4o-mini-2024-07-18"
}

module "job" {
  source   = "./modules/fine_tuning"
  for_each = toset([for i in range(%d) : format("job-%%02d", i)])

  model               = "gpt-4o-mini-2024-07-18"
  training_file       = module.training_data.id
  training_file_stats = module.training_data.stats
  suffix              = each.key
  wait_for_completion = false
}

output "ids" {
  value = { for k, m in module.job : k => m.id }
}
""" % JOBS


def test_a_no_change_plan_reads_each_job_once(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=1)
    env.copy_tree(tmp_path)
    (tmp_path / "main.tf").write_text(CONFIG)
    (tmp_path / "train.jsonl").write_bytes((env.EXAMPLES / "basic" / "data" / "train.jsonl").read_bytes())
    environment = env.terraform_env(openai_ft_bins, emu)
    tf = terraform(tmp_path, env=environment)
    tf.init()
    tf.apply()
    ids = tf.output("ids")
    deadline = time.monotonic() + 60
    while {emu.api(f"/fine_tuning/jobs/{i}")["status"] for i in ids.values()} != {"succeeded"}:
        assert time.monotonic() < deadline, "the jobs did not succeed within a minute"
        time.sleep(0.2)

    # A plan as a user's next one, minutes later: nothing kept from before.
    for copy in emu.cache_dir.iterdir():
        copy.unlink()
    seen = len(emu.log())
    plan = tf.plan()
    assert plan.changes is False, env.managed_actions(plan)
    requests = [f"{e['method']} {e['path']}" for e in emu.log()[seen:]]
    job_reads = [r for r in requests if r == "GET /v1/fine_tuning/jobs"]
    assert len(job_reads) == JOBS, requests
    assert requests.count("GET /v1/models") == 1, requests
    assert requests.count("GET /v1/files") == 1, requests
    assert not [r for r in requests if "checkpoints" in r or r.startswith("GET /v1/models/")], requests
    assert len(requests) <= 1.2 * JOBS, requests
