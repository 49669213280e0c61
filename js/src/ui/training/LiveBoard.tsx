// A live game of the run (the snapshot's `board`): 16 tiles in the classic colours.
import { type CSSProperties, memo } from "react";
import { boardCells } from "../../training/board";

function LiveBoardView({ board }: { board: unknown }) {
  const cells = boardCells(board);
  return (
    <div className="ms-board" data-testid="live-board" role="img" aria-label="A live game">
      {(cells ?? Array.from({ length: 16 }, () => null)).map((c, i) => (
        <div
          key={i}
          className={`ms-tile${c?.exp ? ` ms-d${Math.min(c.digits, 5)}` : ""}`}
          style={c?.exp ? ({ background: c.bg, color: c.fg } as CSSProperties) : undefined}
          data-exp={c?.exp ?? 0}
        >
          {c?.label}
        </div>
      ))}
    </div>
  );
}

export const LiveBoard = memo(LiveBoardView);
