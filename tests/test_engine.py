"""The batched 2048 engine: rules on hand-made boards, agreement with a plain reference,
spawning statistics, reproducibility and the automatic restarts of BatchedGame."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import reference_2048 as ref  # tests/ is on sys.path (conftest.py)
from hypothesis import given, settings
from hypothesis import strategies as st

from modelstudio_widget.game import engine
from modelstudio_widget.game.engine import DOWN, LEFT, RIGHT, UP, BatchedGame


def board(values: list[list[int]]) -> np.ndarray:
    """uint64[1] board from a 4x4 grid of tile values (0 = empty)."""
    exps = [[int(math.log2(v)) if v else 0 for v in row] for row in values]
    return engine.from_exponents(np.array(exps).reshape(1, 16))


def values(boards: np.ndarray) -> list[list[list[int]]]:
    """Tile values of each board as 4x4 nested lists."""
    e = engine.to_exponents(boards).reshape(-1, 4, 4).astype(np.int64)
    return np.where(e > 0, 1 << e, 0).tolist()


def grids(boards: np.ndarray) -> list[ref.Grid]:
    return engine.to_exponents(boards).reshape(-1, 4, 4).astype(int).tolist()


def place_line(line: list[int], action: int) -> list[list[int]]:
    """A board whose line 1 (row or column) reads ``line`` from the wall ``action`` moves
    toward; every other cell gets a distinct tile that can never move or merge."""
    filler = [[512, 1024, 2048, 4096], [0, 0, 0, 0], [8192, 16384, 32768, 256], [128, 64, 32, 16]]
    grid = [row[:] for row in filler]
    for i, v in enumerate(line):
        if action == UP:
            grid[i][1] = v
        elif action == DOWN:
            grid[3 - i][1] = v
        elif action == LEFT:
            grid[1][i] = v
        else:
            grid[1][3 - i] = v
    if action in (UP, DOWN):  # the filler sits in rows; for columns, use its transpose
        rest = [[filler[c][r] for c in range(4)] for r in range(4)]
        for r in range(4):
            for c in (0, 2, 3):
                grid[r][c] = rest[r][c]
    return grid


LINE_CASES = [
    # line (from the wall moved toward), expected line, reward
    ([2, 2, 2, 2], [4, 4, 0, 0], 8),
    ([2, 2, 4, 4], [4, 8, 0, 0], 12),
    ([4, 0, 4, 4], [8, 4, 0, 0], 8),
    ([2, 2, 2, 0], [4, 2, 0, 0], 4),
    ([4, 4, 8, 0], [8, 8, 0, 0], 8),
    ([0, 2, 0, 2], [4, 0, 0, 0], 4),
    ([0, 0, 0, 2], [2, 0, 0, 0], 0),
    ([2, 0, 0, 4], [2, 4, 0, 0], 0),
    ([8, 8, 8, 0], [16, 8, 0, 0], 16),
    ([2, 4, 4, 2], [2, 8, 2, 0], 8),
    ([1024, 1024, 0, 0], [2048, 0, 0, 0], 2048),
]


@pytest.mark.parametrize("action", [UP, RIGHT, DOWN, LEFT], ids=engine.ACTIONS)
@pytest.mark.parametrize(("line", "expected", "reward"), LINE_CASES)
def test_moves_slide_and_merge_each_pair_once(line, expected, reward, action):
    moved, rewards, legal = engine.move_all(board(place_line(line, action)))
    assert values(moved[:, action])[0] == place_line(expected, action)
    assert rewards[0, action] == reward
    assert legal[0, action]


@pytest.mark.parametrize("action", [UP, RIGHT, DOWN, LEFT], ids=engine.ACTIONS)
def test_line_that_cannot_move_is_not_legal(action):
    b = board(place_line([2, 4, 8, 16], action))
    moved, rewards, legal = engine.move_all(b)
    assert not legal[0, action]
    assert moved[0, action] == b[0] and rewards[0, action] == 0


def test_full_board_without_moves_is_game_over():
    b = board([[2, 4, 2, 4], [4, 2, 4, 2], [2, 4, 2, 4], [4, 2, 4, 2]])
    assert not engine.legal_moves(b).any()


def test_full_board_with_one_pair_allows_only_moves_along_it():
    b = board([[2, 4, 2, 4], [4, 2, 4, 2], [2, 4, 2, 4], [4, 2, 8, 8]])
    moved, rewards, legal = engine.move_all(b)
    assert legal[0].tolist() == [False, True, False, True]
    assert values(moved[:, LEFT])[0][3] == [4, 2, 16, 0]
    assert values(moved[:, RIGHT])[0][3] == [0, 4, 2, 16]
    assert rewards[0, LEFT] == rewards[0, RIGHT] == 16


def test_merging_two_top_tiles_is_capped_at_exponent_15():
    b = board([[32768, 32768, 0, 0], [0] * 4, [0] * 4, [0] * 4])
    moved, rewards, _ = engine.move_all(b)
    assert engine.to_exponents(moved[:, LEFT])[0, :4].tolist() == [15, 0, 0, 0]
    assert rewards[0, LEFT] == 65536


def test_no_op_move_does_not_spawn():
    b = board([[2, 4, 0, 0], [0] * 4, [0] * 4, [0] * 4])  # tiles already left and up
    rng = np.random.default_rng(0)
    for action in (UP, LEFT):
        new, reward, changed = engine.step(b, np.array([action]), rng)
        assert new[0] == b[0] and reward[0] == 0 and not changed[0]
    new, reward, changed = engine.step(b, np.array([RIGHT]), rng)
    assert changed[0] and np.count_nonzero(engine.to_exponents(new)) == 3


def test_step_applies_the_move_then_spawns_one_tile_on_an_empty_cell():
    rng = np.random.default_rng(1)
    boards = engine.new_boards(5000, rng)
    for _ in range(20):
        actions = rng.integers(0, 4, boards.size)
        moved, rewards, legal = engine.move_all(boards)
        rows = np.arange(boards.size)
        new, got_rewards, changed = engine.step(boards, actions, rng)
        assert (changed == legal[rows, actions]).all()
        assert (got_rewards == rewards[rows, actions]).all()
        before = engine.to_exponents(moved[rows, actions])
        after = engine.to_exponents(new)
        diff = after != before
        # Exactly one new tile, 2 or 4, on a cell that was empty, and only where changed.
        assert (diff.sum(axis=1) == changed).all()
        assert (before[diff] == 0).all()
        assert np.isin(after[diff], [1, 2]).all()
        boards = new


def test_spawn_is_a_2_nine_times_in_ten_and_uniform_over_empty_cells():
    rng = np.random.default_rng(2)
    # Empty cells 0, 5, 10 and 15; the rest hold 8s and 16s that never matter here.
    e = np.array([0, 3, 4, 3, 4, 0, 3, 4, 3, 4, 0, 3, 4, 3, 4, 0], dtype=np.uint8)
    boards = np.repeat(engine.from_exponents(e[None]), 200_000)
    spawned = engine.to_exponents(engine.spawn_tiles(boards, rng))[:, [0, 5, 10, 15]]
    assert (np.count_nonzero(spawned, axis=1) == 1).all()
    fours = np.count_nonzero(spawned == 2) / len(boards)
    assert 0.097 < fours < 0.103  # 0.1 +- 4.5 standard errors
    per_cell = np.count_nonzero(spawned, axis=0) / len(boards)
    assert np.abs(per_cell - 0.25).max() < 0.005


def test_spawn_reaches_every_empty_cell_whatever_their_number():
    rng = np.random.default_rng(3)
    for empties in range(1, 16):
        cells = rng.permutation(16)[:empties]
        e = np.full(16, 3, dtype=np.uint8)
        e[::2] = 4  # alternate 8 and 16 so that no empty cell is special
        e[cells] = 0
        boards = np.repeat(engine.from_exponents(e[None]), 400 * empties)
        hit = engine.to_exponents(engine.spawn_tiles(boards, rng)) != e
        assert (hit.sum(axis=1) == 1).all()
        assert set(np.flatnonzero(hit.any(axis=0))) == set(cells)


def test_new_boards_have_two_small_tiles():
    boards = engine.new_boards(10_000, np.random.default_rng(4))
    e = engine.to_exponents(boards)
    assert (np.count_nonzero(e, axis=1) == 2).all()
    assert np.isin(e[e > 0], [1, 2]).all()
    # Both tiles are uniformly placed: every cell is used about 2/16 of the time.
    assert np.abs((e > 0).mean(axis=0) - 2 / 16).max() < 0.015


def test_engine_agrees_with_the_reference_on_20000_random_boards():
    rng = np.random.default_rng(5)
    n = 20_000
    # Mostly small exponents with many equal neighbours and empty cells, some large ones.
    e = rng.integers(0, 5, (n, 16))
    e[: n // 4] = rng.integers(0, 16, (n // 4, 16))
    e[rng.random((n, 16)) < 0.3] = 0
    boards = engine.from_exponents(e)
    moved, rewards, legal = engine.move_all(boards)
    moved_grids = [grids(moved[:, a]) for a in range(4)]
    for i, grid in enumerate(grids(boards)):
        for a in range(4):
            want, reward, changed = ref.move(grid, a)
            assert moved_grids[a][i] == want, (grid, a)
            assert rewards[i, a] == reward and legal[i, a] == changed


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 15), min_size=16, max_size=16))
def test_engine_agrees_with_the_reference_on_any_board(cells):
    b = engine.from_exponents(np.array(cells)[None])
    moved, rewards, legal = engine.move_all(b)
    grid = [cells[4 * r : 4 * r + 4] for r in range(4)]
    for a in range(4):
        want, reward, changed = ref.move(grid, a)
        assert grids(moved[:, a])[0] == want
        assert (rewards[0, a], legal[0, a]) == (reward, changed)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 15), min_size=16, max_size=16))
def test_exponent_packing_round_trips_in_row_major_order(cells):
    b = engine.from_exponents(np.array(cells, dtype=np.uint8).reshape(1, 4, 4))
    assert engine.to_exponents(b)[0].tolist() == cells
    assert int(b[0]) == sum(e << (4 * i) for i, e in enumerate(cells))
    assert engine.max_exponent(b)[0] == max(cells)


def test_single_board_int_functions_match_the_batched_engine():
    rng = np.random.default_rng(12)
    e = rng.integers(0, 6, (3000, 16))
    e[rng.random(e.shape) < 0.3] = 0
    e[:, 0] = 1  # at least one tile, so that every board is a legal spawn target...
    e[:, 1] = 0  # ...and at least one empty cell
    boards = engine.from_exponents(e)
    moved, rewards, _ = engine.move_all(boards)
    for i, b in enumerate(boards.tolist()):
        assert engine.move_all_one(b) == (moved[i].tolist(), rewards[i].tolist())
    # The same random draws put the same tiles on the same cells.
    batched = engine.spawn_tiles(boards.copy(), np.random.default_rng(13))
    gen = np.random.default_rng(13)
    assert [engine.spawn_one(b, gen) for b in boards.tolist()] == batched.tolist()
    assert (
        engine.new_board_one(np.random.default_rng(14))
        == engine.new_boards(1, np.random.default_rng(14))[0]
    )


def test_bad_inputs_are_rejected():
    b = engine.new_boards(2, np.random.default_rng(0))
    with pytest.raises(ValueError):
        engine.step(b, np.array([0, 4]), np.random.default_rng(0))
    with pytest.raises(ValueError):
        engine.step(b, np.array([0.0, 1.0]), np.random.default_rng(0))
    with pytest.raises(ValueError):
        engine.move_all(b.astype(np.int64))
    with pytest.raises(ValueError):
        engine.from_exponents(np.full((1, 16), 16))


def play(game: BatchedGame, steps: int, seed: int) -> list[np.ndarray]:
    """Random legal play; returns the boards after every step."""
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(steps):
        game.step(np.argmax(rng.random((game.n, 4)) * game.legal, axis=1))
        history.append(game.boards.copy())
    return history


def test_same_seed_same_trajectories_and_different_seeds_differ():
    a = play(BatchedGame(64, seed=7), 300, seed=0)
    b = play(BatchedGame(64, seed=7), 300, seed=0)
    c = play(BatchedGame(64, seed=8), 300, seed=0)
    assert all((x == y).all() for x, y in zip(a, b, strict=True))
    assert not (a[-1] == c[-1]).all()
    game = BatchedGame(64, seed=7)
    play(game, 50, seed=1)
    game.reset(seed=7)
    assert (play(game, 300, seed=0)[-1] == a[-1]).all()


def test_state_dict_resumes_a_run_exactly():
    game = BatchedGame(32, seed=12)
    play(game, 150, seed=0)
    saved = game.state_dict()
    expected = play(game, 300, seed=1)
    resumed = BatchedGame(32, seed=99)
    resumed.load_state_dict(saved)
    assert all((x == y).all() for x, y in zip(play(resumed, 300, seed=1), expected, strict=True))
    # restore() (no pool) continues from the same boards and scores.
    other = BatchedGame(32)
    other.restore(saved["boards"], saved["scores"], saved["lengths"], saved["rng"])
    assert (other.boards == saved["boards"]).all() and (other.scores == saved["scores"]).all()
    assert (other.legal == engine.legal_moves(other.boards)).all()


def test_batched_game_restarts_finished_games_in_the_same_step():
    game = BatchedGame(256, seed=9)
    rng = np.random.default_rng(9)
    episode_reward = np.zeros(game.n, dtype=np.int64)
    finished = 0
    for _ in range(400):
        boards_before = game.boards.copy()
        actions = np.argmax(rng.random((game.n, 4)) * game.legal, axis=1)
        result = game.step(actions)
        rewards, terminated, legal, info = result  # still unpacks as a plain 4-tuple
        assert result.legal is game.legal and result.info is info
        episode_reward += rewards
        idx = info["index"]
        assert (np.flatnonzero(terminated) == idx).all()
        assert not engine.legal_moves(info["final_boards"]).any()
        assert (info["score"] == episode_reward[idx]).all()
        assert (
            info["max_tile"] == 1 << engine.max_exponent(info["final_boards"]).astype(int)
        ).all()
        # The restarted boards are fresh games; the state describes the current boards.
        assert (np.count_nonzero(engine.to_exponents(game.boards[idx]), axis=1) == 2).all()
        assert (game.scores[idx] == 0).all() and (game.lengths[idx] == 0).all()
        assert (legal == engine.legal_moves(game.boards)).all() and legal.any(axis=1).all()
        assert (game.obs == engine.to_exponents(game.boards)).all()
        assert (game.boards[~terminated] != boards_before[~terminated]).all()
        episode_reward[idx] = 0
        finished += idx.size
    assert finished > 200


def test_reset_where_ends_selected_games():
    game = BatchedGame(8, seed=10)
    play(game, 10, seed=0)
    mask = np.zeros(8, dtype=bool)
    mask[[1, 5]] = True
    scores = game.scores.copy()
    info = game.reset_where(mask)
    assert info["index"].tolist() == [1, 5] and (info["length"] == 10).all()
    assert (info["score"] == scores[[1, 5]]).all()
    assert (game.lengths == np.where(mask, 0, 10)).all()
    assert game.reset_where(np.zeros(8, dtype=bool))["index"].size == 0


def test_random_play_statistics_match_published_numbers():
    # FINDINGS: over 100k random games (uniform over legal moves) the mean score is 1,096
    # (sd 534), a game lasts 118.5 moves and reaches 128 in 47.7% of games. With 2000
    # games the standard errors are about 12, 1 and 1.1%; the bands allow ~8 of them.
    n = 2000
    game = BatchedGame(n, seed=11)
    rng = np.random.default_rng(11)
    score = np.full(n, -1)
    length = np.zeros(n, dtype=np.int64)
    max_tile = np.zeros(n, dtype=np.int64)
    start = time.perf_counter()
    while (score < 0).any():
        _, _, _, info = game.step(np.argmax(rng.random((n, 4)) * game.legal, axis=1))
        first = score[info["index"]] < 0
        idx = info["index"][first]
        score[idx] = info["score"][first]
        length[idx] = info["length"][first]
        max_tile[idx] = info["max_tile"][first]
        assert time.perf_counter() - start < 30
    assert 1000 < score.mean() < 1200
    assert 110 < length.mean() < 127
    assert 0.39 < (max_tile == 128).mean() < 0.57
