// Entry point of the "Python (dapper)" extension: the `dapper` debug type.

import * as vscode from 'vscode';
import { DEBUG_TYPE } from './config';
import { DapperConfigurationProvider, DapperDescriptorFactory, dynamicConfigurations, pickArgs, pickProcess } from './providers';
import { StatusBar } from './statusbar';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new DapperConfigurationProvider(context.extensionPath)),
    vscode.debug.registerDebugConfigurationProvider(
      DEBUG_TYPE,
      dynamicConfigurations,
      vscode.DebugConfigurationProviderTriggerKind.Dynamic,
    ),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new DapperDescriptorFactory(context.extensionPath)),
    vscode.commands.registerCommand('dapper.pickArgs', pickArgs),
    vscode.commands.registerCommand('dapper.pickProcess', pickProcess),
    new StatusBar(),
  );
}

export function deactivate(): void {}
