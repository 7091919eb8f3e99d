"""crash's conventions for command arguments and messages, in one place.

- ``numbers``: how crash reads numbers, hex addresses and CPU lists (tools.c ``htol``,
  ``dtol``, ``stol``, ``decimal``, ``hexadecimal``, ``make_cpumask``), with its errors;
- ``expressions``: ``(expression)`` arithmetic and symbol-or-address arguments (``eval``,
  ``calculate``, ``convert``);
- ``tasks``: a pid or task address argument (task.c ``str_to_context``);
- ``notices``: the one record for a ``cmd: message`` line amid a command's output;
- ``usage``: crash's usage block.
"""
