//! Which tool made a call: a header the tool's setup adds, a `~tool`
//! suffix on the route, or the client's user-agent; else `api-other`.

use http::HeaderMap;
use tokentally_event::Tool;

/// The header a tool's setup may add to name itself; never sent upstream.
pub const TOOL_HEADER: &str = "x-tokentally-tool";

/// User-agent fragments (lowercase) of the tools that call the APIs
/// directly, most specific first. A guess, used only when neither the
/// header nor the route names the tool.
const USER_AGENTS: &[(&str, Tool)] = &[
    ("claude-cli/", Tool::ClaudeCode),
    ("claude-code", Tool::ClaudeCode),
    ("codex_cli_rs", Tool::Codex),
    ("codex_exec", Tool::Codex),
    ("codex-cli", Tool::Codex),
    ("geminicli/", Tool::GeminiCli),
    ("gemini-cli", Tool::GeminiCli),
    ("qwencode", Tool::QwenCode),
    ("qwen-code", Tool::QwenCode),
    ("kilo-code", Tool::KiloCode),
    ("kilocode", Tool::KiloCode),
    ("roo-code", Tool::RooCode),
    ("roocode", Tool::RooCode),
    ("cline", Tool::Cline),
    ("opencode", Tool::OpenCode),
    ("aider", Tool::Aider),
    ("goose", Tool::Goose),
    ("copilot", Tool::Copilot),
    ("continue", Tool::Continue),
    ("cursor", Tool::Cursor),
    ("zed/", Tool::Zed),
    ("amp/", Tool::Amp),
];

/// The tool of a request: the header first, then the route's `~tool`,
/// then the user-agent.
pub fn tool_of(headers: &HeaderMap, route_tool: Option<Tool>) -> Tool {
    let named = headers
        .get(TOOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<Tool>().ok());
    named
        .or(route_tool)
        .or_else(|| by_user_agent(headers))
        .unwrap_or(Tool::ApiOther)
}

fn by_user_agent(headers: &HeaderMap) -> Option<Tool> {
    let agent = headers.get(http::header::USER_AGENT)?.to_str().ok()?;
    let agent = agent.to_ascii_lowercase();
    USER_AGENTS
        .iter()
        .find(|(fragment, _)| agent.contains(fragment))
        .map(|(_, tool)| *tool)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn header_beats_route_beats_user_agent() {
        let h = headers(&[
            ("x-tokentally-tool", "aider"),
            ("user-agent", "claude-cli/2.0.14 (external, cli)"),
        ]);
        assert_eq!(tool_of(&h, Some(Tool::Goose)), Tool::Aider);
        let h = headers(&[("user-agent", "claude-cli/2.0.14 (external, cli)")]);
        assert_eq!(tool_of(&h, Some(Tool::Goose)), Tool::Goose);
        assert_eq!(tool_of(&h, None), Tool::ClaudeCode);
    }

    #[test]
    fn unknown_clients_are_api_other() {
        let h = headers(&[("user-agent", "OpenAI/Python 1.99.0")]);
        assert_eq!(tool_of(&h, None), Tool::ApiOther);
        assert_eq!(tool_of(&HeaderMap::new(), None), Tool::ApiOther);
        let h = headers(&[("x-tokentally-tool", "not-a-tool")]);
        assert_eq!(tool_of(&h, None), Tool::ApiOther);
    }

    #[test]
    fn known_user_agents() {
        for (agent, tool) in [
            ("codex_cli_rs/0.50.0 (Debian 12; x86_64)", Tool::Codex),
            ("GeminiCLI/0.9.0 (linux; x64)", Tool::GeminiCli),
            ("opencode/0.15.2", Tool::OpenCode),
        ] {
            let mut h = HeaderMap::new();
            h.insert("user-agent", agent.parse().unwrap());
            assert_eq!(tool_of(&h, None), tool, "{agent}");
        }
    }
}
