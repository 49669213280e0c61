"""2048: a batched numpy engine and Gymnasium environments built on it.

``engine`` holds the rules and ``BatchedGame`` (numpy only), built on ``bitboard`` (the
board layout, row lookup tables and bit tricks) and ``one_board`` (one board as a Python
int); ``env`` the Gymnasium environments (imported on first use, since importing gymnasium
costs ~0.1 s); ``render`` text and RGB pictures.
:func:`register_envs` makes ``gymnasium.make("ModelStudio/2048-v0")`` and
``gymnasium.make_vec("ModelStudio/2048-v0", num_envs=N)`` work.
"""

from __future__ import annotations

from typing import Any

from modelstudio_widget.game.engine import (
    ACTIONS,
    DOWN,
    LEFT,
    MAX_EXPONENT,
    RIGHT,
    UP,
    BatchedGame,
    from_exponents,
    legal_moves,
    max_exponent,
    move_all,
    new_boards,
    spawn_tiles,
    step,
    to_exponents,
)

ENV_ID = "ModelStudio/2048-v0"

__all__ = [
    "ACTIONS",
    "DOWN",
    "ENV_ID",
    "LEFT",
    "MAX_EXPONENT",
    "RIGHT",
    "UP",
    "BatchedGame",
    "Game2048Env",
    "Game2048VectorEnv",
    "from_exponents",
    "legal_moves",
    "max_exponent",
    "move_all",
    "new_boards",
    "register_envs",
    "spawn_tiles",
    "step",
    "to_exponents",
]


def register_envs() -> None:
    """Register ``ModelStudio/2048-v0`` with Gymnasium (single and vector entry points).

    Idempotent: calling it again, or after another import registered the id, does nothing.
    """
    import gymnasium

    if ENV_ID in gymnasium.registry:
        return
    gymnasium.register(
        id=ENV_ID,
        entry_point="modelstudio_widget.game.env:Game2048Env",
        vector_entry_point="modelstudio_widget.game.env:Game2048VectorEnv",
        max_episode_steps=None,
    )


def __getattr__(name: str) -> Any:
    # The environments need gymnasium; import them only when someone asks for them.
    if name in ("Game2048Env", "Game2048VectorEnv"):
        from modelstudio_widget.game import env

        return getattr(env, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
