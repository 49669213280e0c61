"""The Gymnasium environments: the contract of Game2048Env (check_env, spaces, info,
termination, seeding, rendering) and the SAME_STEP autoreset of Game2048VectorEnv."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode

from modelstudio_widget.game import ENV_ID, engine, register_envs
from modelstudio_widget.game.env import Game2048Env, Game2048VectorEnv
from modelstudio_widget.game.render import render_ansi, render_rgb

register_envs()


def legal_of(obs: np.ndarray) -> np.ndarray:
    """int8[..., 4] legal-move mask of observations, recomputed by the engine."""
    return engine.legal_moves(engine.from_exponents(obs)).astype(np.int8)


def random_legal(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    return np.argmax(rng.random(mask.shape) * mask, axis=-1)


def test_register_envs_is_idempotent():
    register_envs()
    register_envs()
    assert gym.spec(ENV_ID).vector_entry_point is not None


@pytest.mark.parametrize("render_mode", [None, "ansi", "rgb_array"])
def test_check_env_passes_without_warnings(render_mode):
    env = gym.make(ENV_ID, render_mode=render_mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)


def test_reset_and_step_follow_the_documented_contract():
    env = gym.make(ENV_ID)
    obs, info = env.reset(seed=0)
    assert obs.shape == (4, 4) and obs.dtype == np.uint8
    assert np.count_nonzero(obs) == 2
    assert set(info) == {"action_mask", "score", "max_tile"}
    assert info["action_mask"].dtype == np.int8 and info["score"] == 0
    rng = np.random.default_rng(0)
    score = 0
    for _ in range(50):
        action = int(random_legal(rng, info["action_mask"]))
        prev = obs
        obs, reward, terminated, truncated, info = env.step(action)
        score += reward
        assert isinstance(reward, float) and not truncated
        assert (info["action_mask"] == legal_of(obs[None])[0]).all()
        assert terminated == (not info["action_mask"].any())
        assert info["score"] == score
        assert info["max_tile"] == 2 ** int(obs.max())
        # One new tile after a changing move: at most one more tile than before.
        assert np.count_nonzero(obs) <= np.count_nonzero(prev) + 1


def test_illegal_move_is_a_no_op():
    env = gym.make(ENV_ID)
    _, info = env.reset(seed=3)
    rng = np.random.default_rng(1)
    while info["action_mask"].all():  # play until some move is illegal
        obs, _, _, _, info = env.step(int(random_legal(rng, info["action_mask"])))
    obs = env.unwrapped._obs()
    illegal = int(np.flatnonzero(info["action_mask"] == 0)[0])
    new_obs, reward, terminated, _, new_info = env.step(illegal)
    assert (new_obs == obs).all() and reward == 0.0 and not terminated
    assert new_info["score"] == info["score"]


def test_game_terminates_exactly_when_no_move_is_left():
    env = gym.make(ENV_ID)
    _, info = env.reset(seed=4)
    rng = np.random.default_rng(4)
    for _ in range(5000):
        obs, _, terminated, _, info = env.step(int(random_legal(rng, info["action_mask"])))
        if terminated:
            break
    assert terminated
    assert np.count_nonzero(obs) == 16 and not legal_of(obs[None]).any()
    assert not info["action_mask"].any()


def test_invalid_action_raises():
    env = gym.make(ENV_ID)
    env.reset(seed=0)
    with pytest.raises((ValueError, AssertionError)):
        env.step(4)


def trajectory(env: gym.Env, seed: int, steps: int = 100) -> list[np.ndarray]:
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(0)
    out = [obs]
    for _ in range(steps):
        obs, _, terminated, _, info = env.step(int(random_legal(rng, info["action_mask"])))
        out.append(obs)
        if terminated:
            obs, info = env.reset()
    return out


def test_seeded_reset_reproduces_trajectories():
    a = trajectory(gym.make(ENV_ID), seed=5)
    b = trajectory(gym.make(ENV_ID), seed=5)
    c = trajectory(gym.make(ENV_ID), seed=6)
    assert all((x == y).all() for x, y in zip(a, b, strict=True))
    assert any((x != y).any() for x, y in zip(a, c, strict=True))


def test_env_plays_the_engine_game_for_the_same_seed():
    env = gym.make(ENV_ID)
    obs, info = env.reset(seed=7)
    rng = np.random.default_rng(7)  # what reset(seed=7) gives the env
    board = engine.new_boards(1, rng)
    actions = np.random.default_rng(0)
    for _ in range(100):
        assert (obs.ravel() == engine.to_exponents(board)[0]).all()
        action = int(random_legal(actions, info["action_mask"]))
        obs, reward, terminated, _, info = env.step(action)
        board, engine_reward, _ = engine.step(board, np.array([action]), rng)
        assert reward == engine_reward[0]
        if terminated:
            break


def test_max_episode_steps_truncates():
    env = gym.make(ENV_ID, max_episode_steps=3)
    env.reset(seed=0)
    flags = [env.step(0)[3] for _ in range(3)]
    assert flags == [False, False, True]


def test_ansi_render_is_a_text_grid_of_tile_values():
    env = gym.make(ENV_ID, render_mode="ansi")
    obs, _ = env.reset(seed=1)
    text = env.render()
    lines = text.splitlines()
    assert lines[0] == "Score: 0" and len(lines) == 5
    values = [int(v) for line in lines[1:] for v in line.split() if v != "."]
    assert sorted(values) == sorted(2 ** int(e) for e in obs.ravel() if e)
    assert render_ansi(np.arange(16)).splitlines()[3].split() == ["4096", "8192", "16384", "32768"]


def test_rgb_render_is_a_picture_that_tells_boards_apart():
    env = gym.make(ENV_ID, render_mode="rgb_array")
    obs, _ = env.reset(seed=2)
    frame = env.render()
    assert frame.shape == (296, 296, 3) and frame.dtype == np.uint8
    assert (frame == render_rgb(obs)).all()
    pictures = [render_rgb(np.full(16, e)) for e in range(16)]
    for i in range(16):
        for j in range(i):
            assert (pictures[i] != pictures[j]).any(), (i, j)
    one_tile = np.zeros(16, dtype=np.uint8)
    one_tile[5] = 11
    moved = np.zeros(16, dtype=np.uint8)
    moved[6] = 11
    assert (render_rgb(one_tile) != render_rgb(moved)).any()
    # The centre of an empty cell has the classic empty-cell colour.
    assert render_rgb(np.zeros(16))[40, 40].tolist() == [205, 193, 180]


def test_make_vec_builds_the_batched_env():
    envs = gym.make_vec(ENV_ID, num_envs=8, vectorization_mode="vector_entry_point")
    assert isinstance(envs.unwrapped, Game2048VectorEnv)
    assert envs.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    obs, info = envs.reset(seed=0)
    assert obs.shape == (8, 4, 4) and obs.dtype == np.uint8
    assert envs.observation_space.contains(obs)
    assert info["action_mask"].shape == (8, 4) and info["action_mask"].dtype == np.int8
    assert (info["action_mask"] == legal_of(obs)).all()
    assert envs.single_action_space == gym.spaces.Discrete(4)
    envs.close()


def test_vector_env_autoresets_in_the_same_step():
    n = 16
    envs = Game2048VectorEnv(num_envs=n)
    obs, info = envs.reset(seed=1)
    rng = np.random.default_rng(1)
    episode_return = np.zeros(n)
    finished = 0
    for _ in range(600):
        obs, reward, terminated, truncated, info = envs.step(random_legal(rng, info["action_mask"]))
        episode_return += reward
        assert not truncated.any()
        assert (info["action_mask"] == legal_of(obs)).all()
        if terminated.any():
            done = np.flatnonzero(terminated)
            assert (info["_final_obs"] == terminated).all()
            assert all(info["final_obs"][i] is None for i in np.flatnonzero(~terminated))
            final = np.stack(list(info["final_obs"][done]))
            assert not legal_of(final).any()  # the finished boards are game-over boards
            assert (np.count_nonzero(obs[done].reshape(-1, 16), axis=1) == 2).all()  # new games
            final_info = info["final_info"]
            assert (final_info["score"][done] == episode_return[done]).all()
            assert (
                final_info["max_tile"][done] == 2 ** final.reshape(-1, 16).max(axis=1).astype(int)
            ).all()
            assert (info["score"][done] == 0).all()
            episode_return[done] = 0
            finished += done.size
        else:
            assert "final_obs" not in info
    assert finished >= n


def test_vector_env_truncates_at_max_episode_steps():
    envs = gym.make_vec(ENV_ID, num_envs=4, max_episode_steps=5)
    envs.reset(seed=2)
    for t in range(1, 6):
        obs, _, terminated, truncated, info = envs.step(np.array([0, 1, 2, 3]))
        assert truncated.all() == (t == 5) and not terminated.any()
    assert (info["final_info"]["length"] == 5).all()
    assert (np.count_nonzero(obs.reshape(4, 16), axis=1) == 2).all()


def test_vector_env_seeding_is_reproducible():
    def run(seed: int) -> np.ndarray:
        envs = Game2048VectorEnv(num_envs=32)
        obs, info = envs.reset(seed=seed)
        rng = np.random.default_rng(0)
        for _ in range(200):
            obs, *_, info = envs.step(random_legal(rng, info["action_mask"]))
        return obs

    assert (run(3) == run(3)).all()
    assert (run(3) != run(4)).any()


def test_vector_env_renders_one_frame_per_env():
    envs = Game2048VectorEnv(num_envs=3, render_mode="rgb_array")
    envs.reset(seed=0)
    frames = envs.render()
    assert len(frames) == 3 and frames[0].shape == (296, 296, 3)
    text = Game2048VectorEnv(num_envs=2, render_mode="ansi")
    text.reset(seed=0)
    assert all(t.startswith("Score: 0") for t in text.render())


def test_single_env_class_is_the_registered_entry_point():
    assert isinstance(gym.make(ENV_ID).unwrapped, Game2048Env)
