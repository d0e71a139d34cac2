using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace BertSharp.Benchmarks;

/// <summary>A custom numeric summary column: subclasses give the id, header, legend and the value of one case.</summary>
public abstract class NumericColumn(string id, string columnName, int priority, string legend) : IColumn
{
    public string Id => id;
    public string ColumnName => columnName;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => priority;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public virtual string Legend => legend;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);
    public abstract string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style);
}
