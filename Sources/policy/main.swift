import ArgumentParser
import PolicyShell

PolicyCommand.main(PolicyCommand.preprocess(Array(CommandLine.arguments.dropFirst())))
