/*
 * OwlCheck: load OWL ontologies with the OWL API 5 (what Protégé 5.6 and ROBOT use) and report, as
 * one JSON object on stdout, what it makes of each file; optionally classify groups of files with
 * HermiT and ELK (see Reasoning).
 *
 * Usage: java OwlCheck [--catalog catalog-v001.xml] [--online] [--strict] [FILE...]
 *                      [--reason N FILE1 ... FILEN]... [--reasoner hermit|elk]...
 *                      [--consistency-only hermit|elk]... [--class IRI]...
 *
 *   --catalog   XML catalog (Protégé's catalog-v001.xml); each <uri name=".." uri=".."/> maps an
 *               ontology IRI to a document, relative to the catalog (or an enclosing xml:base).
 *   --online    also fetch imports that the catalog does not map from their IRI. By default imports
 *               are never fetched from the network: an unmapped import is reported as missing,
 *               which keeps checks reproducible and fast.
 *   --strict    OWL API strict parsing (no guessing of undeclared entity types).
 *   --reason    merge the imports closures of the N files that follow into one ontology and run
 *               each --reasoner on it (default: hermit and elk); may be repeated.
 *   --module    reason over the STAR locality module of each merge for the signature of its first
 *               file's imports closure: every entailment over that signature (each subsumption and
 *               unsatisfiability of its classes) is the same as in the whole merge, at a fraction of
 *               the size (CIRO + the Relation Ontology: HermiT classifies the module in minutes).
 *   --consistency-only  that reasoner only checks consistency (no classification, no --class):
 *               HermiT needs many minutes to classify RO's 160 property chains, and seconds to
 *               minutes per satisfiability test once RO is merged in; its consistency check is ~1 min.
 *   --class     a class IRI whose inferred super- and subclasses each reasoner reports.
 *
 * Each FILE gets: parse errors, unparsed triples, malformed axioms, OWL 2 DL and OWL 2 EL profile
 * violations over its imports closure, undeclared entities and counts. Exit code 0 whenever a report
 * was written (the caller judges the content), 2 on usage errors.
 */

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.OWLOntologyLoaderMetaData;
import org.semanticweb.owlapi.io.RDFLiteral;
import org.semanticweb.owlapi.io.RDFNode;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.io.RDFResourceBlankNode;
import org.semanticweb.owlapi.io.RDFTriple;
import org.semanticweb.owlapi.model.AxiomType;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.OWLAnnotation;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLEntity;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyID;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.model.parameters.Imports;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWL2ELProfile;
import org.semanticweb.owlapi.profiles.OWLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public final class OwlCheck {

    private static final String USAGE =
        "usage: java OwlCheck [--catalog catalog-v001.xml] [--online] [--strict] [FILE...]"
        + " [--reason N FILE...]... [--reasoner hermit|elk]... [--consistency-only hermit|elk]... [--class IRI]... [--module]";

    private OwlCheck() {
    }

    public static void main(String[] args) {
        // Parsers and loggers may print to System.out; keep the real stdout for the JSON only.
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);

        List<File> catalogs = new ArrayList<>();
        List<File> files = new ArrayList<>();
        List<List<File>> groups = new ArrayList<>();
        List<String> reasoners = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        Set<String> consistencyOnly = new HashSet<>();
        boolean online = false;
        boolean strict = false;
        boolean module = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--catalog")) {
                catalogs.add(new File(value(args, ++i, a)).getAbsoluteFile());
            } else if (a.equals("--online")) {
                online = true;
            } else if (a.equals("--strict")) {
                strict = true;
            } else if (a.equals("--reason")) {
                int n = 0;
                try {
                    n = Integer.parseInt(value(args, ++i, a));
                } catch (NumberFormatException e) {
                    usage("--reason needs a file count");
                }
                if (n < 1 || i + n >= args.length) {
                    usage("--reason " + n + " needs that many files");
                }
                List<File> group = new ArrayList<>();
                for (int k = 0; k < n; k++) {
                    group.add(new File(args[++i]).getAbsoluteFile());
                }
                groups.add(group);
            } else if (a.equals("--reasoner")) {
                String name = value(args, ++i, a);
                if (!Reasoning.REASONERS.contains(name)) {
                    usage("unknown reasoner " + name + " (known: " + Reasoning.REASONERS + ")");
                }
                reasoners.add(name);
            } else if (a.equals("--consistency-only")) {
                consistencyOnly.add(value(args, ++i, a));
            } else if (a.equals("--class")) {
                classes.add(value(args, ++i, a));
            } else if (a.equals("--module")) {
                module = true;
            } else if (a.equals("-h") || a.equals("--help")) {
                System.err.println(USAGE);
                System.exit(2);
            } else if (a.startsWith("--")) {
                usage("unknown option " + a);
            } else {
                files.add(new File(a).getAbsoluteFile());
            }
        }
        if (files.isEmpty() && groups.isEmpty()) {
            usage("no input files");
        }
        if (reasoners.isEmpty()) {
            reasoners.addAll(Reasoning.REASONERS);
        }

        Map<String, IRI> mapping = new HashMap<>();
        for (File catalog : catalogs) {
            try {
                Loader.readCatalog(catalog, mapping);
            } catch (Exception e) {
                usage("cannot read catalog " + catalog + ": " + e);
            }
        }
        Loader loader = new Loader(mapping, online, strict);

        StringBuilder json = new StringBuilder();
        json.append("{\"owlapi_version\":").append(Json.str(owlApiVersion()));
        json.append(",\"catalog_entries\":").append(mapping.size());
        json.append(",\"files\":[");
        for (int i = 0; i < files.size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            checkFile(files.get(i), loader, json);
        }
        json.append("],\"reasoning\":[");
        for (int i = 0; i < groups.size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            Reasoning.run(groups.get(i), loader, reasoners, consistencyOnly, classes, module, json);
        }
        json.append("]}");
        out.println(json);
        out.flush();
        System.exit(0);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            usage(option + " needs a value");
        }
        return args[i];
    }

    private static void usage(String message) {
        System.err.println("OwlCheck: " + message);
        System.err.println(USAGE);
        System.exit(2);
    }

    /** "5.1.9", from the Maven metadata inside owlapi-distribution (its manifest adds a build date). */
    static String owlApiVersion() {
        String pom = "/META-INF/maven/net.sourceforge.owlapi/owlapi-distribution/pom.properties";
        try (InputStream in = OWLManager.class.getResourceAsStream(pom)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through to the manifest
        }
        Package p = OWLManager.class.getPackage();
        return p == null ? "unknown" : String.valueOf(p.getImplementationVersion());
    }

    // ---------------------------------------------------------------- one file

    private static void checkFile(File file, Loader loader, StringBuilder json) {
        Loader.Loaded loaded = loader.load(file);
        OWLOntology ont = loaded.ontology;
        json.append("{\"file\":").append(Json.str(file.getPath()));
        json.append(",\"loaded\":").append(ont != null);
        if (ont == null) {
            json.append(",\"ontology_iri\":null,\"version_iri\":null,\"format\":null");
            json.append(",\"axioms\":0,\"logical_axioms\":0,\"classes\":0,\"object_properties\":0");
            json.append(",\"data_properties\":0,\"annotation_properties\":0,\"individuals\":0");
            json.append(",\"imports\":[],\"loaded_imports\":[]");
            json.append(",\"missing_imports\":").append(Json.list(loaded.missingImports));
            json.append(",\"parse_errors\":").append(Json.list(loaded.parseErrors));
            json.append(",\"unparsed_triples\":[],\"malformed_axioms\":[],\"dl_violations\":[]");
            json.append(",\"el_violations\":[],\"undeclared_entities\":[]}");
            return;
        }
        OWLOntologyManager manager = loaded.manager;
        OWLOntologyID id = ont.getOntologyID();
        OWLDocumentFormat format = manager.getOntologyFormat(ont);
        json.append(",\"ontology_iri\":").append(Json.str(id.getOntologyIRI().map(IRI::toString).orElse(null)));
        json.append(",\"version_iri\":").append(Json.str(id.getVersionIRI().map(IRI::toString).orElse(null)));
        json.append(",\"format\":").append(Json.str(format == null ? null : format.getKey()));
        // Counts are for this document only (not its imports), like Protégé's metrics view.
        json.append(",\"axioms\":").append(ont.getAxiomCount());
        json.append(",\"logical_axioms\":").append(ont.getLogicalAxiomCount());
        json.append(",\"classes\":").append(ont.classesInSignature().count());
        json.append(",\"object_properties\":").append(ont.objectPropertiesInSignature().count());
        json.append(",\"data_properties\":").append(ont.dataPropertiesInSignature().count());
        json.append(",\"annotation_properties\":").append(ont.annotationPropertiesInSignature().count());
        json.append(",\"individuals\":").append(ont.individualsInSignature().count());

        Set<String> imports = ont.importsDeclarations().map(d -> d.getIRI().toString())
            .collect(Collectors.toCollection(TreeSet::new));
        json.append(",\"imports\":").append(Json.list(imports));

        List<OWLOntology> closure = ont.importsClosure().collect(Collectors.toList());
        Set<String> loadedImports = new TreeSet<>();
        for (OWLOntology o : closure) {
            // equals, not ==: the manager hands out a thread-safe wrapper of the closure's object.
            if (!o.getOntologyID().equals(id)) {
                loadedImports.add(o.getOntologyID().getOntologyIRI().map(IRI::toString)
                    .orElse(String.valueOf(manager.getOntologyDocumentIRI(o))));
            }
        }
        json.append(",\"loaded_imports\":").append(Json.list(loadedImports));
        json.append(",\"missing_imports\":").append(Json.list(loaded.missingImports));
        json.append(",\"parse_errors\":").append(Json.list(loaded.parseErrors));

        // The RDF parsers record triples they could not turn into axioms (e.g. a restriction
        // without owl:onProperty). Protégé drops these silently; we surface them.
        Set<String> unparsed = new TreeSet<>();
        OWLOntologyLoaderMetaData meta = format == null ? null : format.getOntologyLoaderMetaData().orElse(null);
        if (meta instanceof RDFParserMetaData) {
            ((RDFParserMetaData) meta).getUnparsedTriples().forEach(t -> unparsed.add(triple(t)));
        }
        json.append(",\"unparsed_triples\":").append(Json.list(unparsed));

        // Without --strict, the RDF parser replaces a class expression it cannot build (e.g. a
        // restriction without owl:onProperty) by a fresh class in the ERROR_NS namespace.
        Set<String> malformed = new TreeSet<>();
        for (OWLOntology o : closure) {
            o.axioms().filter(ax -> ax.signature().anyMatch(OwlCheck::isErrorEntity))
                .forEach(ax -> malformed.add(ax.toString()));
        }
        json.append(",\"malformed_axioms\":").append(Json.list(malformed));

        // Both profile checks cover the imports closure. OWL2ELProfile reports the DL violations
        // too (EL is a sublanguage of DL); el_violations keeps only those that are EL's own.
        Set<String> dl = violations(new OWL2DLProfile(), ont);
        Set<String> el = violations(new OWL2ELProfile(), ont);
        el.removeAll(dl);
        json.append(",\"dl_violations\":").append(Json.list(dl));
        json.append(",\"el_violations\":").append(Json.list(el));

        json.append(",\"undeclared_entities\":[");
        boolean first = true;
        for (OWLEntity e : undeclared(closure)) {
            if (!first) {
                json.append(',');
            }
            first = false;
            json.append("{\"type\":").append(Json.str(e.getEntityType().getName()));
            json.append(",\"iri\":").append(Json.str(e.getIRI().toString())).append('}');
        }
        json.append("]}");
    }

    private static Set<String> violations(OWLProfile profile, OWLOntology ont) {
        Set<String> result = new TreeSet<>();
        try {
            for (OWLProfileViolation v : profile.checkOntology(ont).getViolations()) {
                result.add(v.toString().trim());
            }
        } catch (RuntimeException e) {
            result.add(profile.getName() + " profile check failed: " + e);
        }
        return result;
    }

    /** Entities used somewhere in the imports closure with no Declaration axiom anywhere in it. */
    private static List<OWLEntity> undeclared(List<OWLOntology> closure) {
        Set<OWLEntity> declared = new HashSet<>();
        Set<OWLEntity> used = new LinkedHashSet<>();
        for (OWLOntology o : closure) {
            o.axioms(AxiomType.DECLARATION).forEach(d -> declared.add(d.getEntity()));
            for (OWLAxiom ax : o.axioms().collect(Collectors.toList())) {
                if (ax.getAxiomType() == AxiomType.DECLARATION) {
                    // Annotations on a declaration still use their annotation properties.
                    ax.annotations().forEach(a -> a.signature().forEach(used::add));
                } else {
                    ax.signature().forEach(used::add);
                }
            }
            o.annotations().forEach((OWLAnnotation a) -> a.signature().forEach(used::add));
        }
        List<OWLEntity> result = new ArrayList<>();
        for (OWLEntity e : used) {
            // Error placeholders are reported as malformed_axioms, not as missing declarations.
            if (!e.isBuiltIn() && !declared.contains(e) && !isErrorEntity(e)) {
                result.add(e);
            }
        }
        result.sort((a, b) -> {
            int c = a.getIRI().toString().compareTo(b.getIRI().toString());
            return c != 0 ? c : a.getEntityType().getName().compareTo(b.getEntityType().getName());
        });
        return result;
    }

    /** Namespace of the placeholder classes/properties the OWL API RDF parser invents. */
    private static final String ERROR_NS = "http://org.semanticweb.owlapi/error#";

    private static boolean isErrorEntity(OWLEntity e) {
        return e.getIRI().toString().startsWith(ERROR_NS);
    }

    // ---------------------------------------------------------------- triples

    /** N-Triples-like rendering: <iri>, _:blank, "literal"^^<datatype> / "literal"@lang. */
    private static String triple(RDFTriple t) {
        return node(t.getSubject()) + " " + node(t.getPredicate()) + " " + node(t.getObject());
    }

    private static String node(RDFNode n) {
        if (n instanceof RDFLiteral) {
            RDFLiteral lit = (RDFLiteral) n;
            String lex = "\"" + lit.getLexicalValue().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            if (lit.hasLang()) {
                return lex + "@" + lit.getLang();
            }
            if (lit.isPlainLiteral()) {
                return lex;
            }
            return lex + "^^<" + lit.getDatatype() + ">";
        }
        if (n instanceof RDFResourceBlankNode) {
            // Blank-node ids are parser-generated ("_:genid12"); they only link triples.
            String s = ((RDFResourceBlankNode) n).getNodeIDValue();
            return s.startsWith("_:") ? s : "_:" + s.substring(Math.max(s.lastIndexOf('#'), s.lastIndexOf('/')) + 1);
        }
        return "<" + n.getIRI() + ">";
    }
}
