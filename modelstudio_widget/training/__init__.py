"""Training and measuring agents.

- ``config``: ``PPOConfig``, every hyperparameter with its doc (no torch);
  ``settings``: the table of what a user tunes (sent to the page, checked by the kernel).
- ``ppo``: PPO on the batched engine, readable top to bottom (``Rollout``, ``PPOTrainer``);
  ``td``: TD(0) on afterstates, which ``PPOTrainer`` runs instead for a design that ends in
  an n-tuple value; ``aux_targets``: the aux heads' targets from a rollout; ``optim``,
  ``update_size``: the optimizer and the update's share of a rollout;
  ``episodes``: finished games' counters; ``device``: ``PPOConfig.device`` resolved, CPU
  copies of checkpoints.
- ``manager``: ``TrainingManager``: one background thread owns the trainer; commands on a
  queue; checkpoints and metrics into the store; complete snapshots out; the watchdog.
- ``api``: ``ms.train`` (blocking, with a progress bar) and the ``Run`` it returns.
- ``evaluate``: ``ms.evaluate`` and greedy play over many games; ``tile_rates``: the one
  list of max-tile thresholds both report; ``evaluation_job``: a run evaluated in the
  background, and one watched game.
- ``runs``: run summaries and curves from the store; ``run_list``: ``ms.runs()``;
  ``compare``, ``compare_figure``: runs side by side (the page's sheet, ``ms.compare``).
"""
