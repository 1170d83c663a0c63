// Display names of the tools TokenTally knows, and the colours of their series.
import type { I18n } from "../i18n";

const NAMES: Record<string, string> = {
  "claude-code": "Claude Code",
  codex: "Codex",
  "gemini-cli": "Gemini CLI",
  copilot: "GitHub Copilot",
  cursor: "Cursor",
  aider: "Aider",
  windsurf: "Windsurf",
};

export function toolName(tool: string, i18n: Pick<I18n, "t">): string {
  if (tool === "api-other") return i18n.t("tool.api-other");
  return NAMES[tool] ?? tool;
}

// Colour-blind-friendly hues that read on light and dark backgrounds alike.
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#e15759", "#9c755f", "#bab0ac"];
const FIXED: Record<string, number> = { "claude-code": 0, codex: 1, "gemini-cli": 2, copilot: 3, cursor: 4, "api-other": 5 };

export function toolColour(tool: string, index: number): string {
  return PALETTE[(FIXED[tool] ?? index + 6) % PALETTE.length];
}
