// A tablist following the WAI-ARIA pattern: arrow keys, Home and End move
// between tabs; only the selected tab is in the tab order.
import type { ComponentChildren } from "preact";
import { useRef } from "preact/hooks";

export interface TabDef {
  id: string;
  label: string;
}

export function Tabs(props: { tabs: TabDef[]; selected: string; onSelect: (id: string) => void; label: string; children: ComponentChildren }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const index = props.tabs.findIndex((t) => t.id === props.selected);

  const go = (i: number) => {
    const n = props.tabs.length;
    const next = (i + n) % n;
    props.onSelect(props.tabs[next].id);
    refs.current[next]?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const moves: Record<string, () => void> = {
      ArrowRight: () => go(index + 1),
      ArrowLeft: () => go(index - 1),
      Home: () => go(0),
      End: () => go(props.tabs.length - 1),
    };
    const move = moves[e.key];
    if (move) {
      e.preventDefault();
      move();
    }
  };

  return (
    <>
      <div role="tablist" aria-label={props.label} class="tablist" onKeyDown={onKeyDown}>
        {props.tabs.map((tab, i) => (
          <button
            key={tab.id}
            ref={(el) => {
              refs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${tab.id}`}
            aria-selected={tab.id === props.selected}
            aria-controls={`panel-${tab.id}`}
            tabIndex={tab.id === props.selected ? 0 : -1}
            onClick={() => props.onSelect(tab.id)}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${props.selected}`} aria-labelledby={`tab-${props.selected}`} tabIndex={0} class="tabpanel">
        {props.children}
      </div>
    </>
  );
}
