// Every user-visible string comes from the String Catalog (Resources/Localizable.xcstrings,
// en and es-US, with plurals). On Apple platforms Xcode compiles the catalog and the
// platform's lookup (Bundle + String(format:locale:)) reads it; Foundation on Linux does not
// read .xcstrings, so there the catalog's JSON is read by StringCatalog below (same keys,
// same plural rules for en and es). Errors, issue codes, reasons and states are mapped to
// catalog keys by exhaustive switches (L10n.swift): a raw case name never reaches the user.
import Foundation

/// An argument of a localized string: text (`%@`) or a count (`%lld`, picks the plural form).
public enum LocalizedArgument: Sendable, Equatable {
    case text(String)
    case count(Int64)
}

/// The texts of one language (`en-US`, `es-US`; anything else falls back to English).
public struct Localizer: Sendable {
    public let locale: String

    public init(locale: String) { self.locale = locale }

    public func string(_ key: String, _ args: LocalizedArgument...) -> String { string(key, args) }

    /// The catalog has `key` (in some language): a text looked up by a name the core gives
    /// (the Gift Aid wording's version) is shown only if this build has its words.
    public func has(_ key: String) -> Bool {
        #if canImport(Darwin)
        if PlatformStrings.format(key, locale: locale) != nil { return true }
        #endif
        return StringCatalog.shared?.entries[key] != nil
    }

    public func string(_ key: String, _ args: [LocalizedArgument]) -> String {
        #if canImport(Darwin)
        if let text = PlatformStrings.string(key, locale: locale, args) { return text }
        #endif
        return StringCatalog.shared?.string(key, locale: locale, args) ?? key
    }
}

#if canImport(Darwin)
/// The platform's lookup of the compiled catalog, in the session's language.
enum PlatformStrings {
    static func string(_ key: String, locale: String, _ args: [LocalizedArgument]) -> String? {
        guard let format = format(key, locale: locale) else { return nil }
        let values: [any CVarArg] = args.map { arg in
            switch arg {
            case .text(let text): return text
            case .count(let n): return n
            }
        }
        return String(format: format, locale: Locale(identifier: locale), arguments: values)
    }

    /// The compiled catalog's format for `key` in the session's language, unformatted.
    static func format(_ key: String, locale: String) -> String? {
        let missing = "\u{1}"
        for name in StringCatalog.candidates(for: locale) {
            guard let path = Bundle.module.path(forResource: name, ofType: "lproj"), let bundle = Bundle(path: path) else { continue }
            let format = bundle.localizedString(forKey: key, value: missing, table: "Localizable")
            if format != missing { return format }
        }
        return nil
    }
}
#endif

/// The String Catalog's JSON, read directly: the lookup used where the platform cannot.
public struct StringCatalog: Sendable {
    enum Entry: Sendable, Equatable {
        case single(String)
        case plural([String: String])
    }

    public let sourceLanguage: String
    /// key -> language -> entry
    let entries: [String: [String: Entry]]

    /// The package's own catalog (nil only if the resource is missing from the bundle).
    public static let shared: StringCatalog? = {
        guard let url = Bundle.module.url(forResource: "Localizable", withExtension: "xcstrings"),
              let data = try? Data(contentsOf: url) else { return nil }
        return try? StringCatalog(json: data)
    }()

    public var keys: [String] { entries.keys.sorted() }

    public func languages(of key: String) -> [String] { entries[key].map { $0.keys.sorted() } ?? [] }

    public init(json: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: json) as? [String: Any],
              let strings = root["strings"] as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        sourceLanguage = root["sourceLanguage"] as? String ?? "en"
        var entries: [String: [String: Entry]] = [:]
        for (key, value) in strings {
            guard let localizations = (value as? [String: Any])?["localizations"] as? [String: Any] else { continue }
            var byLanguage: [String: Entry] = [:]
            for (language, raw) in localizations {
                guard let raw = raw as? [String: Any] else { continue }
                if let unit = Self.unitValue(raw) {
                    byLanguage[language] = .single(unit)
                } else if let plural = (raw["variations"] as? [String: Any])?["plural"] as? [String: Any] {
                    var forms: [String: String] = [:]
                    for (category, form) in plural {
                        if let form = form as? [String: Any], let text = Self.unitValue(form) { forms[category] = text }
                    }
                    byLanguage[language] = .plural(forms)
                }
            }
            entries[key] = byLanguage
        }
        self.entries = entries
    }

    private static func unitValue(_ raw: [String: Any]) -> String? {
        (raw["stringUnit"] as? [String: Any])?["value"] as? String
    }

    /// `es-US`, then `es`, then any `es-*`, then English.
    static func candidates(for locale: String) -> [String] {
        let normalized = locale.replacingOccurrences(of: "_", with: "-")
        let language = String(normalized.split(separator: "-").first ?? "en")
        return [normalized, language, "en"]
    }

    func entry(_ key: String, locale: String) -> (language: String, entry: Entry)? {
        guard let byLanguage = entries[key] else { return nil }
        for name in Self.candidates(for: locale) {
            if let entry = byLanguage[name] { return (name, entry) }
            let prefix = name + "-"
            if let match = byLanguage.keys.sorted().first(where: { $0.hasPrefix(prefix) }), let entry = byLanguage[match] {
                return (match, entry)
            }
        }
        return byLanguage[sourceLanguage].map { (sourceLanguage, $0) }
    }

    public func string(_ key: String, locale: String, _ args: [LocalizedArgument]) -> String? {
        guard let (language, entry) = entry(key, locale: locale) else { return nil }
        switch entry {
        case .single(let format):
            return Self.format(format, args)
        case .plural(let forms):
            let n: Int64 = args.lazy.compactMap { if case .count(let n) = $0 { return n } else { return nil } }.first ?? 0
            let category = Self.pluralCategory(n, language: language)
            guard let format = forms[category] ?? forms["other"] else { return nil }
            return Self.format(format, args)
        }
    }

    /// CLDR cardinal rules for integers, for the catalog's languages: English `one` (1) and
    /// `other`; Spanish `one` (1), `many` (a non-zero multiple of a million) and `other`.
    static func pluralCategory(_ n: Int64, language: String) -> String {
        let base = String(language.split(separator: "-").first ?? "en")
        switch base {
        case "es", "fr", "it", "pt":
            if n == 1 { return "one" }
            if n != 0 && n % 1_000_000 == 0 { return "many" }
            return "other"
        default:
            return n == 1 ? "one" : "other"
        }
    }

    /// printf-style, for what the catalog uses: `%@`, `%lld`, positional `%1$@`/`%2$lld`, `%%`.
    static func format(_ format: String, _ args: [LocalizedArgument]) -> String {
        var out = ""
        var next = 0
        var chars = Substring(format)
        while let percent = chars.firstIndex(of: "%") {
            out += chars[..<percent]
            var rest = chars[chars.index(after: percent)...]
            if rest.first == "%" {
                out += "%"
                chars = rest.dropFirst()
                continue
            }
            var index = next
            let digits = rest.prefix(while: \.isNumber)
            if !digits.isEmpty, rest.dropFirst(digits.count).first == "$", let position = Int(digits) {
                index = position - 1
                rest = rest.dropFirst(digits.count + 1)
            } else {
                next += 1
            }
            let arg = index < args.count ? args[index] : nil
            if rest.hasPrefix("lld") {
                rest = rest.dropFirst(3)
            } else if rest.hasPrefix("@") || rest.hasPrefix("d") {
                rest = rest.dropFirst(1)
            }
            switch arg {
            case .text(let text): out += text
            case .count(let n): out += String(n)
            case nil: break
            }
            chars = rest
        }
        out += chars
        return out
    }
}

/// The package's resources (the catalog, the privacy manifest).
enum FundKitResources {
    static var bundle: Bundle { Bundle.module }
}
