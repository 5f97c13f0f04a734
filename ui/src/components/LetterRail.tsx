import type { BucketIndex } from "../api";
import { count } from "../time";

const LETTERS = ["#", ..."abcdefghijklmnopqrstuvwxyz"];

interface Props {
  index: BucketIndex;
  /** Called with the row where that letter's names begin. */
  onJump(letter: string, row: number): void;
}

/** The A–Z index: every letter with how many names start with it; empty ones are disabled. */
export function LetterRail({ index, onJump }: Props) {
  const counts = new Map(index.letters.map((l) => [l.letter, l.count]));
  let row = 0;
  return (
    <nav className="letter-rail" aria-label="Jump to letter">
      {LETTERS.map((letter) => {
        const n = counts.get(letter) ?? 0;
        const start = row;
        row += n;
        return (
          <button
            key={letter}
            type="button"
            className="letter"
            disabled={n === 0}
            title={`${count(n)} bucket${n === 1 ? "" : "s"}`}
            aria-label={`${letter.toUpperCase()}: ${count(n)}`}
            onClick={() => onJump(letter, start)}
          >
            {letter.toUpperCase()}
          </button>
        );
      })}
    </nav>
  );
}
