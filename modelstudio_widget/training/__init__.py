"""Training and measuring agents.

- ``ppo``: PPO on the batched engine, readable top to bottom (``PPOConfig``, ``Rollout``,
  ``PPOTrainer``).
- ``manager``: ``TrainingManager``: one background thread owns the trainer; commands on a
  queue; checkpoints and metrics into the store; complete snapshots out; the watchdog.
- ``api``: ``ms.train`` (blocking, with a progress bar) and the ``Run`` it returns.
- ``evaluate``: ``ms.evaluate`` and greedy play over many games; ``tile_rates``: the one
  list of max-tile thresholds both report.
"""
