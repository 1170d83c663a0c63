// The only module that talks to Tauri. Everything else sees `Backend`.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { AgentEvent, Backend } from "./types";

export const EVENT_NAME = "tokentally://event";

export function createTauriBackend(): Backend {
  return {
    getStatus: () => invoke("get_status"),
    getUsage: (days) => invoke("get_usage", { days }),
    getPreview: () => invoke("get_preview"),
    getRecentCalls: () => invoke("get_recent_calls"),
    getUploads: () => invoke("get_uploads"),
    getUploadPayload: (id) => invoke("get_upload_payload", { id }),
    getAbout: () => invoke("get_about"),
    getAccessLog: () => invoke("get_access_log"),
    getSetup: () => invoke("get_setup"),
    setUpload: (enabled, includePast) => invoke("set_upload", { enabled, includePast }),
    setGranularity: (granularity) => invoke("set_granularity", { granularity }),
    pause: (minutes, untilTomorrow) => invoke("pause", { minutes, untilTomorrow }),
    resume: () => invoke("resume"),
    exportData: (format) => invoke("export_data", { format }),
    deleteData: () => invoke("delete_data"),
    onEvent: (cb) => listen<AgentEvent>(EVENT_NAME, (e) => cb(e.payload)),
  };
}
