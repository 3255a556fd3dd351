/// The version of this build of incidentd.
public enum IncidentdVersion {
    public static let current = "0.1.0"
}
