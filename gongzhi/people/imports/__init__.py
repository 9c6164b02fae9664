"""Import of households and residents from the one documented template (.xlsx or .csv).

The template (docs/import-template.md) has one row per resident; a household
without residents is a row whose resident columns are empty. Households are
keyed by (小区编码, 楼栋编码, 房号); residents by ID number (through the keyed
hash), else — when the ID cell is empty or masked — within their household by
name or by the masked ID.

The modules, each depending only on those above it:

- template: the columns, their labels and the empty template workbook;
- files: reading an uploaded file (.xlsx or .csv) into header and rows, with
  every bound on what a file may make the reader do;
- rows: one row checked on its own, without the database;
- importer: the run itself, batch by batch, against the database, all or
  nothing (the rows are written with gongzhi.core.bulk);
- jobs: a job's life: upload, dry run, confirm, the worker's run, its progress,
  and runs whose worker died.
"""
