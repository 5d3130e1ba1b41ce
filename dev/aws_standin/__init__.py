"""A stand-in for pulumi-aws's resource plugin (``pulumi-resource-aws``) against moto, for offline runs.

It serves over gRPC exactly the nine resources and three invokes the program uses, with pulumi-aws
v7's tokens and property names, and nothing else (``schema.RESOURCES``, ``invokes.INVOKES``). It proves
the program and the engine together; it does not prove how pulumi-aws behaves against real AWS
(docs/aws-standin.md). Put ``dev/aws_standin/bin`` on PATH to use it; it hands over to an installed
real plugin (``handover``).
"""
