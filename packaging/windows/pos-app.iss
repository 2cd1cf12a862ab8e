; Inno Setup 6 script: a per-machine installer for the Windows bundle.
;
; First build dist\pos-app\ on Windows (packaging\README.md, "Windows"), then:
;   iscc packaging\windows\pos-app.iss
; which writes dist\pos-app-<version>-windows-x64-setup.exe. The version comes
; from pos-app.exe's version resource, which packaging\pos_app.spec fills from
; pyproject.toml; `iscc /DAppVersion=1.2.3 ...` overrides it.
;
; Uninstalling removes only what this installer put in Program Files and the
; shortcuts. The shop's data stays: the journal, history and settings live in
; each user's platformdirs folders (%LOCALAPPDATA%\pos-app\pos-app, logs under
; ...\Logs), the remembered terminal in HKCU\Software\pos-app, and the client
; secret in the Windows Credential Manager. Nothing below names them, on purpose:
; do not add [UninstallDelete] or [Code] that reaches into %LOCALAPPDATA% or HKCU.

#define AppName "Counter POS"
#define AppExeName "pos-app.exe"
#define ConsoleExeName "pos-app-console.exe"
#define BundleDir AddBackslash(SourcePath) + "..\..\dist\pos-app"
#ifndef AppVersion
  #define AppVersion GetFileProductVersionString(BundleDir + "\" + AppExeName)
#endif
#if AppVersion == ""
  #error dist\pos-app\pos-app.exe has no version: build the bundle first (packaging\README.md)
#endif

[Setup]
; The AppId ties upgrades and the uninstaller together: never change it.
AppId={{FD002F8C-2211-49D3-B12F-5C3526FF7FAC}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=pos-app
VersionInfoVersion={#AppVersion}
; Per machine: Program Files, shortcuts for all users, needs an administrator.
PrivilegesRequired=admin
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; PySide6 6.12 needs Windows 10 1809 or later.
MinVersion=10.0.17763
SetupIconFile=..\icons\pos-app.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
OutputDir=..\..\dist
OutputBaseFilename=pos-app-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; An update closes a running pos-app first (Restart Manager) and starts it again.
CloseApplications=yes
RestartApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[InstallDelete]
; An update replaces the whole bundle: no stale library from an older version.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"
Name: "{autoprograms}\{#AppName} self-test"; Filename: "{cmd}"; \
  Parameters: "/k ""{app}\{#ConsoleExeName}"" --self-test"; IconFilename: "{app}\{#AppExeName}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; \
  Flags: nowait postinstall skipifsilent
