#Requires -Version 5.1
<#
.SYNOPSIS
    Builds TokenTally's Windows installers (MSI, en-US and zh-CN) on a Windows build machine.

.DESCRIPTION
    Run from anywhere on a Windows x64 machine with:
      - Rust for x86_64-pc-windows-msvc (rustup default host) and the Visual Studio C++ build tools;
      - Node.js 20.19 or later (npm, npx);
      - the VBSCRIPT optional Windows feature (WiX's light.exe needs it for its ICE checks);
      - internet access on the first run, when the Tauri CLI downloads WiX 3 into its tools cache.

    Steps:
      1. ui\: npm ci; npm run build                 (the window, embedded in the app: ui\dist)
      2. cargo build --release -p tokentally-cli --locked
      3. target\release\tokentally.exe -> src-tauri\binaries\tokentally-x86_64-pc-windows-msvc.exe
         (the `binaries/tokentally` sidecar of installers\windows\tauri.windows.json)
      4. src-tauri\icons\icon.ico, generated from icon.png with `tauri icon` when missing
         (tauri-build and the MSI both need an .ico)
      5. from ui\: npx tauri build --bundles msi --config ..\installers\windows\tauri.windows.json
      6. prints where the MSIs landed, with their SHA-256.

    Signing (optional): set TOKENTALLY_SIGN_CERT_THUMBPRINT to the SHA-1 thumbprint of a code-signing
    certificate in the current user's certificate store (Cert:\CurrentUser\My). Then:
      - this script signs tokentally.exe with signtool before it becomes the sidecar;
      - Tauri signs tokentally-app.exe (after it patches the binary) and each MSI with the same
        certificate, through signtool (bundle.windows.certificateThumbprint, passed as a second --config);
      - this script checks every signature with `signtool verify /pa`.
    TOKENTALLY_SIGN_TIMESTAMP_URL (optional): an RFC 3161 timestamp server of your certificate's vendor.
    Without it, signatures stop being valid when the certificate expires.
    signtool is looked up as Tauri does: TAURI_WINDOWS_SIGNTOOL_PATH, then PATH, then the newest
    Windows 10/11 SDK under "Windows Kits\10\bin".

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File installers\windows\build-msi.ps1

.EXAMPLE
    $env:TOKENTALLY_SIGN_CERT_THUMBPRINT = '0123456789ABCDEF0123456789ABCDEF01234567'
    $env:TOKENTALLY_SIGN_TIMESTAMP_URL = 'http://timestamp.example-ca.com'
    pwsh -File installers\windows\build-msi.ps1
#>
[CmdletBinding()]
param()

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$Triple = 'x86_64-pc-windows-msvc'
$RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path
$UiDir = Join-Path $RepoRoot 'ui'
$TauriDir = Join-Path $RepoRoot 'src-tauri'
$Overlay = Join-Path $PSScriptRoot 'tauri.windows.json'
$Started = Get-Date

function Write-Step([string]$Message) {
    Write-Host ''
    Write-Host "==> $Message" -ForegroundColor Cyan
}

# Runs a program, in a directory, and stops the script unless it exits with 0.
function Invoke-Checked {
    param(
        [Parameter(Mandatory)][string]$FilePath,
        [string[]]$Arguments = @(),
        [string]$WorkingDirectory = $RepoRoot
    )
    Write-Host "    $FilePath $($Arguments -join ' ')"
    Push-Location -LiteralPath $WorkingDirectory
    try {
        & $FilePath @Arguments
        $code = $LASTEXITCODE
    }
    finally {
        Pop-Location
    }
    if ($code -ne 0) {
        throw "$FilePath $($Arguments -join ' ') failed with exit code $code"
    }
}

function Get-EnvValue([string]$Name) {
    $value = [Environment]::GetEnvironmentVariable($Name)
    if ([string]::IsNullOrWhiteSpace($value)) { return $null }
    return $value.Trim()
}

function Find-SignTool {
    $explicit = Get-EnvValue 'TAURI_WINDOWS_SIGNTOOL_PATH'
    if ($explicit) {
        if (-not (Test-Path -LiteralPath $explicit)) { throw "TAURI_WINDOWS_SIGNTOOL_PATH does not exist: $explicit" }
        return $explicit
    }
    $onPath = Get-Command 'signtool.exe' -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    $kits = Join-Path ${env:ProgramFiles(x86)} 'Windows Kits\10\bin'
    if (Test-Path -LiteralPath $kits) {
        $newest = Get-ChildItem -LiteralPath $kits -Directory |
            Where-Object { $_.Name -match '^\d+(\.\d+){3}$' } |
            Sort-Object { [version]$_.Name } -Descending |
            ForEach-Object { Join-Path $_.FullName 'x64\signtool.exe' } |
            Where-Object { Test-Path -LiteralPath $_ } |
            Select-Object -First 1
        if ($newest) { return $newest }
    }
    throw 'signtool.exe not found: install the Windows SDK signing tools or set TAURI_WINDOWS_SIGNTOOL_PATH'
}

# ---------------------------------------------------------------- checks
Write-Step 'Checking the build machine'
if ($env:OS -ne 'Windows_NT') { throw 'build-msi.ps1 builds the MSI with WiX and runs on Windows only' }
foreach ($tool in 'cargo', 'rustc', 'node', 'npm.cmd', 'npx.cmd') {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is not on PATH" }
}
$rustInfo = & rustc -vV
if ($LASTEXITCODE -ne 0) { throw 'rustc -vV failed' }
$hostLine = @($rustInfo | Where-Object { $_ -like 'host: *' })
if ($hostLine.Count -ne 1) { throw 'rustc -vV printed no host line' }
$rustHost = $hostLine[0].Substring(6).Trim()
if ($rustHost -ne $Triple) {
    throw "the Rust host is $rustHost; this script builds for $Triple (rustup default stable-$Triple)"
}
$nodeVersion = "$(& node --version)".Trim().TrimStart('v')
if ($LASTEXITCODE -ne 0) { throw 'node --version failed' }
if ([version]$nodeVersion -lt [version]'20.19.0') { throw "Node.js $nodeVersion is too old: 20.19 or later is needed" }
Write-Host "    rustc host $rustHost, Node.js $nodeVersion"
if (-not (Test-Path -LiteralPath $Overlay)) { throw "missing $Overlay" }

# Where cargo puts its builds (CARGO_TARGET_DIR and .cargo\config.toml included).
$metadataJson = & cargo metadata --format-version 1 --no-deps --locked --manifest-path (Join-Path $RepoRoot 'Cargo.toml')
if ($LASTEXITCODE -ne 0) { throw 'cargo metadata failed' }
$TargetDir = ($metadataJson -join "`n" | ConvertFrom-Json).target_directory
Write-Host "    cargo target directory: $TargetDir"

$Thumbprint = Get-EnvValue 'TOKENTALLY_SIGN_CERT_THUMBPRINT'
$TimestampUrl = Get-EnvValue 'TOKENTALLY_SIGN_TIMESTAMP_URL'
$SignTool = $null
if ($Thumbprint) {
    $Thumbprint = ($Thumbprint -replace '\s', '').ToUpperInvariant()
    if ($Thumbprint -notmatch '^[0-9A-F]{40}$') { throw 'TOKENTALLY_SIGN_CERT_THUMBPRINT must be a 40-digit SHA-1 thumbprint' }
    if (-not (Test-Path -LiteralPath "Cert:\CurrentUser\My\$Thumbprint")) {
        throw "no certificate $Thumbprint in Cert:\CurrentUser\My"
    }
    $SignTool = Find-SignTool
    # Tauri signs with the same signtool.
    $env:TAURI_WINDOWS_SIGNTOOL_PATH = $SignTool
    Write-Host "    signing with certificate $Thumbprint, $SignTool"
    if (-not $TimestampUrl) {
        Write-Warning 'TOKENTALLY_SIGN_TIMESTAMP_URL is not set: signatures will not be timestamped'
    }
}
else {
    Write-Warning 'TOKENTALLY_SIGN_CERT_THUMBPRINT is not set: the executables and the MSIs will not be signed'
}

# ---------------------------------------------------------------- 1. the window
Write-Step 'Building the window (ui)'
Invoke-Checked 'npm.cmd' @('ci') $UiDir
Invoke-Checked 'npm.cmd' @('run', 'build') $UiDir

# ---------------------------------------------------------------- 2. the CLI
Write-Step 'Building the tokentally CLI'
Invoke-Checked 'cargo' @('build', '--release', '-p', 'tokentally-cli', '--locked') $RepoRoot
$CliExe = Join-Path $TargetDir 'release\tokentally.exe'
if (-not (Test-Path -LiteralPath $CliExe)) { throw "the CLI is not at $CliExe" }

if ($Thumbprint) {
    $signArgs = @('sign', '/sha1', $Thumbprint, '/fd', 'sha256', '/d', 'TokenTally')
    if ($TimestampUrl) { $signArgs += @('/tr', $TimestampUrl, '/td', 'sha256') }
    Invoke-Checked $SignTool ($signArgs + @($CliExe)) $RepoRoot
}

# ---------------------------------------------------------------- 3. the sidecar
Write-Step 'Copying the CLI as the app''s sidecar'
$BinariesDir = Join-Path $TauriDir 'binaries'
New-Item -ItemType Directory -Force -Path $BinariesDir | Out-Null
$Sidecar = Join-Path $BinariesDir "tokentally-$Triple.exe"
Copy-Item -LiteralPath $CliExe -Destination $Sidecar -Force
Write-Host "    $Sidecar"

# ---------------------------------------------------------------- 4. the .ico
$IconIco = Join-Path $TauriDir 'icons\icon.ico'
if (-not (Test-Path -LiteralPath $IconIco)) {
    Write-Step 'Generating src-tauri\icons\icon.ico from icon.png'
    Write-Warning 'src-tauri\icons\icon.ico is not in the repository; generating it (commit it to make builds repeatable)'
    $iconTmp = Join-Path ([IO.Path]::GetTempPath()) ("tokentally-icons-" + [guid]::NewGuid().ToString('N'))
    try {
        Invoke-Checked 'npx.cmd' @('tauri', 'icon', (Join-Path $TauriDir 'icons\icon.png'), '--output', $iconTmp) $UiDir
        Copy-Item -LiteralPath (Join-Path $iconTmp 'icon.ico') -Destination $IconIco
    }
    finally {
        Remove-Item -LiteralPath $iconTmp -Recurse -Force -ErrorAction SilentlyContinue
    }
}

# ---------------------------------------------------------------- 5. the MSIs
Write-Step 'Building the app and the MSIs (tauri build)'
# The Tauri CLI runs from ui\ (where npm installed it); src-tauri is not below ui\, so say where it is.
$env:TAURI_APP_PATH = $TauriDir
$env:TAURI_FRONTEND_PATH = $UiDir
$tauriArgs = @('tauri', 'build', '--bundles', 'msi', '--config', $Overlay)
$signConfig = $null
if ($Thumbprint) {
    $windows = [ordered]@{ certificateThumbprint = $Thumbprint; digestAlgorithm = 'sha256' }
    if ($TimestampUrl) {
        $windows.timestampUrl = $TimestampUrl
        $windows.tsp = $true
    }
    $signConfig = Join-Path ([IO.Path]::GetTempPath()) ("tokentally-sign-" + [guid]::NewGuid().ToString('N') + '.json')
    # A file, not a JSON argument: quotes do not survive npx.cmd. UTF-8 without a byte order mark.
    $json = @{ bundle = @{ windows = $windows } } | ConvertTo-Json -Depth 5
    [IO.File]::WriteAllText($signConfig, $json, (New-Object System.Text.UTF8Encoding($false)))
    $tauriArgs += @('--config', $signConfig)
}
try {
    Invoke-Checked 'npx.cmd' $tauriArgs $UiDir
}
finally {
    if ($signConfig) { Remove-Item -LiteralPath $signConfig -Force -ErrorAction SilentlyContinue }
}

# ---------------------------------------------------------------- 6. where they landed
$MsiDir = Join-Path $TargetDir 'release\bundle\msi'
$msis = @(Get-ChildItem -LiteralPath $MsiDir -Filter '*.msi' -ErrorAction SilentlyContinue |
        Where-Object { $_.LastWriteTime -ge $Started } |
        Sort-Object Name)
if ($msis.Count -eq 0) { throw "tauri build succeeded but no new MSI is in $MsiDir" }

if ($Thumbprint) {
    Write-Step 'Checking signatures'
    $AppExe = Join-Path $TargetDir 'release\tokentally-app.exe'
    foreach ($file in @($Sidecar, $AppExe) + @($msis | ForEach-Object { $_.FullName })) {
        Invoke-Checked $SignTool @('verify', '/pa', '/q', $file) $RepoRoot
        Write-Host "    signed: $file"
    }
}

Write-Step 'Done'
foreach ($msi in $msis) {
    $hash = (Get-FileHash -LiteralPath $msi.FullName -Algorithm SHA256).Hash
    Write-Host "    $($msi.FullName)"
    Write-Host "      SHA-256 $hash"
}
